// `flarectl jobs …`: create, batch, list, get, update, pause, resume, delete, cancel, retry,
// trigger; events and wait live in jobs_watch.cc. Paths are SPEC §7's /flare/v1/jobs….

#include "cli/commands/command.h"
#include "cli/commands/job_body.h"
#include "cli/commands/jobs_watch.h"
#include "cli/payload.h"

namespace flare::cli {
namespace {

const std::vector<Column> kJobList = {
    {"ID", "id"},
    {"STATE", "state", CellKind::kState},
    {"TYPE", "job_type"},
    {"QUEUE", "queue"},
    {"ATTEMPT", "attempt"},
    {"NEXT RUN", "next_run_at", CellKind::kTime},
    {"CREATED", "created_at", CellKind::kTime},
};

const std::vector<Column> kJobDetail = {
    {"id", "id"},
    {"name", "name"},
    {"slug", "slug"},
    {"state", "state", CellKind::kState},
    {"job_type", "job_type"},
    {"queue", "queue"},
    {"schedule", "schedule"},
    {"timezone", "timezone"},
    {"enabled", "enabled"},
    {"priority", "priority"},
    {"attempt", "attempt"},
    {"max_attempts", "max_attempts"},
    {"progress", "progress", CellKind::kProgress},
    {"run_at", "run_at", CellKind::kTime},
    {"next_run_at", "next_run_at", CellKind::kTime},
    {"created_at", "created_at", CellKind::kTime},
    {"started_at", "started_at", CellKind::kTime},
    {"completed_at", "completed_at", CellKind::kTime},
    {"duration_ms", "duration_ms"},
    {"http", "http.url"},
    {"tags", "tags", CellKind::kJson},
    {"payload", "payload", CellKind::kJson},
    {"error", "error", CellKind::kJson},
    {"parent", "parent_job_id"},
    {"version", "version"},
};

const std::vector<Column> kBatchItems = {{"INDEX", "index"},
                                         {"ID", "id"},
                                         {"STATE", "state", CellKind::kState},
                                         {"ERROR", "error.message"}};

void AddJobCreate(CLI::App& jobs, Context& ctx) {
  auto* cmd = jobs.add_subcommand("create", "Create a job (worker job, HTTP job, or cron)");
  auto flags = std::make_shared<JobFlags>();
  flags->Add(cmd, BodyMode::kCreate);
  OnRun(cmd, ctx, [&ctx, flags] {
    nlohmann::json body = flags->Build(ctx.io().in(), ctx.Now());
    HeaderList headers;
    if (!flags->idempotency_key().empty()) {
      headers.emplace_back("Idempotency-Key", flags->idempotency_key());
    }
    auto job = ctx.api().Call("POST", kJobsPath, body, {}, headers);
    ctx.printer().Object(job, kJobDetail);
    return kExitOk;
  });
}

void AddJobBatch(CLI::App& jobs, Context& ctx) {
  auto* cmd = jobs.add_subcommand("batch", "Create up to 1000 jobs in one transaction");
  auto file = std::make_shared<std::string>("-");
  cmd->add_option("file", *file, "JSON array or JSONL of job bodies (default - for stdin)");
  OnRun(cmd, ctx, [&ctx, file] {
    nlohmann::json items = ParseJsonOrJsonl(ReadFileText(*file, ctx.io().in()), *file);
    auto result = ctx.api().Call("POST", std::string(kJobsPath) + "/batch", {{"jobs", items}});
    if (ctx.settings().output == OutputFormat::kJson) {
      ctx.printer().Object(result, {});
      return kExitOk;
    }
    nlohmann::json rows = nlohmann::json::array();
    const auto& results = result.contains("results") ? result["results"] : result["data"];
    for (size_t i = 0; results.is_array() && i < results.size(); ++i) {
      nlohmann::json row = results[i].contains("job") ? results[i]["job"] : results[i];
      if (results[i].contains("error")) row["error"] = results[i]["error"];
      row["index"] = results[i].value("index", static_cast<int>(i));
      rows.push_back(std::move(row));
    }
    ctx.printer().List(rows, kBatchItems);
    return kExitOk;
  });
}

struct ListArgs {
  std::string state, queue, type, created_after, created_before;
  std::vector<std::string> tags;
  PageOptions page;
};

void AddJobList(CLI::App& jobs, Context& ctx) {
  auto* cmd = jobs.add_subcommand("list", "List jobs, newest first");
  auto args = std::make_shared<ListArgs>();
  cmd->add_option("--state", args->state, "pending, scheduled, processing, succeeded, ...");
  cmd->add_option("--queue", args->queue, "Only this queue");
  cmd->add_option("--type,--job-type", args->type, "Only this job type");
  cmd->add_option("--created-after", args->created_after, "RFC 3339 time");
  cmd->add_option("--created-before", args->created_before, "RFC 3339 time");
  cmd->add_option("--tag", args->tags, "Tag filter key:value (repeatable)");
  AddPageFlags(cmd, args->page);
  OnRun(cmd, ctx, [&ctx, args] {
    Query query;
    auto add = [&](const char* name, const std::string& value) {
      if (!value.empty()) query.emplace_back(name, value);
    };
    add("state", args->state);
    add("queue", args->queue);
    add("job_type", args->type);
    add("created_after", args->created_after);
    add("created_before", args->created_before);
    for (const auto& tag : args->tags) {
      SplitPair(tag, ':', "--tag");
      add("tag", tag);
    }
    return PrintList(ctx, kJobsPath, query, args->page, kJobList);
  });
}

void AddJobGet(CLI::App& jobs, Context& ctx) {
  auto* cmd = jobs.add_subcommand("get", "Show one job");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "Job id or slug")->required();
  OnRun(cmd, ctx, [&ctx, id] {
    ctx.printer().Object(ctx.api().Call("GET", ItemPath(kJobsPath, *id)), kJobDetail);
    return kExitOk;
  });
}

void AddJobUpdate(CLI::App& jobs, Context& ctx) {
  auto* cmd = jobs.add_subcommand("update", "Change a job (PATCH: only the given fields)");
  auto id = std::make_shared<std::string>();
  auto flags = std::make_shared<JobFlags>();
  cmd->add_option("id", *id, "Job id or slug")->required();
  flags->Add(cmd, BodyMode::kUpdate);
  OnRun(cmd, ctx, [&ctx, id, flags] {
    nlohmann::json body = flags->Build(ctx.io().in(), ctx.Now());
    if (body.empty())
      throw UsageError("nothing to update", "give field flags, --set or --from-file");
    ctx.printer().Object(ctx.api().Call("PATCH", ItemPath(kJobsPath, *id), body), kJobDetail);
    return kExitOk;
  });
}

void AddJobEnable(CLI::App& jobs, Context& ctx, const char* verb, bool enabled) {
  auto* cmd = jobs.add_subcommand(verb, enabled ? "Resume a paused job (enabled=true)"
                                                : "Pause a job's schedule (enabled=false)");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "Job id or slug")->required();
  OnRun(cmd, ctx, [&ctx, id, enabled] {
    auto job = ctx.api().Call("PATCH", ItemPath(kJobsPath, *id), {{"enabled", enabled}});
    ctx.printer().Object(job, kJobDetail);
    return kExitOk;
  });
}

/// delete, cancel, retry: POST/DELETE on the job, confirmation for the destructive ones.
void AddJobAction(CLI::App& jobs, Context& ctx, const char* verb, const char* help,
                  bool destructive) {
  auto* cmd = jobs.add_subcommand(verb, help);
  auto id = std::make_shared<std::string>();
  auto yes = std::make_shared<bool>(false);
  cmd->add_option("id", *id, "Job id or slug")->required();
  if (destructive) cmd->add_flag("-y,--yes", *yes, "Do not ask for confirmation");
  std::string action = verb;
  OnRun(cmd, ctx, [&ctx, id, yes, action, destructive] {
    if (destructive) ctx.ConfirmOrThrow(action + " job " + *id + "?", *yes);
    bool is_delete = action == "delete";
    auto path = ItemPath(kJobsPath, *id) + (is_delete ? "" : "/" + action);
    auto result = ctx.api().Call(is_delete ? "DELETE" : "POST", path);
    if (result.is_object()) {
      ctx.printer().Object(result, kJobDetail);
    } else if (ctx.settings().output == OutputFormat::kId) {
      ctx.io().out() << *id << '\n';
    }
    const char* done = action == "retry" ? "retried" : action == "cancel" ? "cancelled" : "deleted";
    ctx.Note(std::string(done) + " job " + *id);
    return kExitOk;
  });
}

void AddJobTrigger(CLI::App& jobs, Context& ctx) {
  auto* cmd = jobs.add_subcommand("trigger", "Run a job now (a MANUAL run)");
  auto id = std::make_shared<std::string>();
  auto payload = std::make_shared<std::string>();
  cmd->add_option("id", *id, "Job id or slug")->required();
  cmd->add_option("--payload", *payload, "Payload for this run: '{...}', @file or -");
  OnRun(cmd, ctx, [&ctx, id, payload] {
    nlohmann::json body = nlohmann::json::object();
    if (!payload->empty()) body["payload"] = ParseJsonArg(*payload, ctx.io().in(), "--payload");
    auto run = ctx.api().Call("POST", ItemPath(kJobsPath, *id) + "/trigger", body);
    ctx.printer().Object(run, RunDetailColumns());
    return kExitOk;
  });
}

}  // namespace

void AddJobsCommands(CLI::App& jobs, Context& ctx) {
  AddJobCreate(jobs, ctx);
  AddJobBatch(jobs, ctx);
  AddJobList(jobs, ctx);
  AddJobGet(jobs, ctx);
  AddJobUpdate(jobs, ctx);
  AddJobEnable(jobs, ctx, "pause", false);
  AddJobEnable(jobs, ctx, "resume", true);
  AddJobAction(jobs, ctx, "delete", "Delete a job (soft; history is kept)", true);
  AddJobAction(jobs, ctx, "cancel", "Cancel a pending or scheduled job", true);
  AddJobAction(jobs, ctx, "retry", "Retry a failed or dead-lettered job", false);
  AddJobTrigger(jobs, ctx);
  AddJobEventsCommand(jobs, ctx);
  AddJobWaitCommand(jobs, ctx);
  AddExportCommand(jobs, ctx, "jobs");
}

}  // namespace flare::cli

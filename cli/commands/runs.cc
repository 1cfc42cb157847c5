// `flarectl runs …`: one run is one execution of a job (SPEC §2). list, get, cancel, rerun.

#include "cli/commands/command.h"

namespace flare::cli {
namespace {

const char* kRuns = "/flare/v1/runs";

const std::vector<Column> kRunList = {
    {"ID", "id"},
    {"JOB", "job_id"},
    {"STATE", "state", CellKind::kState},
    {"TRIGGER", "trigger"},
    {"ATTEMPT", "attempt"},
    {"DURATION MS", "duration_ms"},
    {"CREATED", "created_at", CellKind::kTime},
};

void AddRunList(CLI::App& runs, Context& ctx) {
  auto* cmd = runs.add_subcommand("list", "List runs, newest first");
  struct Args {
    std::string job, state, trigger;
    PageOptions page;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--job", args->job, "Only runs of this job");
  cmd->add_option("--state", args->state, "Only runs in this state");
  cmd->add_option("--trigger", args->trigger, "API, SCHEDULE, MANUAL, RERUN or RETRY");
  AddPageFlags(cmd, args->page);
  OnRun(cmd, ctx, [&ctx, args] {
    Query query;
    if (!args->job.empty()) query.emplace_back("job", args->job);
    if (!args->state.empty()) query.emplace_back("state", args->state);
    if (!args->trigger.empty()) query.emplace_back("trigger", args->trigger);
    return PrintList(ctx, kRuns, query, args->page, kRunList);
  });
}

/// get / cancel / rerun: one run id in, one run out.
void AddOne(CLI::App& runs, Context& ctx, const char* verb, const char* help) {
  auto* cmd = runs.add_subcommand(verb, help);
  auto id = std::make_shared<std::string>();
  auto yes = std::make_shared<bool>(false);
  std::string action = verb;
  cmd->add_option("id", *id, "Run id")->required();
  if (action == "cancel") cmd->add_flag("-y,--yes", *yes, "Do not ask for confirmation");
  OnRun(cmd, ctx, [&ctx, id, yes, action] {
    nlohmann::json run;
    if (action == "get") {
      run = ctx.api().Call("GET", ItemPath(kRuns, *id));
    } else {
      if (action == "cancel") ctx.ConfirmOrThrow("cancel run " + *id + "?", *yes);
      run = ctx.api().Call("POST", ItemPath(kRuns, *id) + "/" + action);
    }
    ctx.printer().Object(run, RunDetailColumns());
    return kExitOk;
  });
}

}  // namespace

const std::vector<Column>& RunDetailColumns() {
  static const std::vector<Column> columns = {
      {"id", "id"},
      {"job_id", "job_id"},
      {"state", "state", CellKind::kState},
      {"trigger", "trigger"},
      {"rerun_of", "rerun_of"},
      {"attempt", "attempt"},
      {"max_attempts", "max_attempts"},
      {"worker_id", "worker_id"},
      {"progress", "progress", CellKind::kProgress},
      {"scheduled_for", "scheduled_for", CellKind::kTime},
      {"started_at", "started_at", CellKind::kTime},
      {"completed_at", "completed_at", CellKind::kTime},
      {"next_retry_at", "next_retry_at", CellKind::kTime},
      {"duration_ms", "duration_ms"},
      {"failure_reason", "failure_reason"},
      {"error", "error", CellKind::kJson},
      {"result.status", "result.status"},
  };
  return columns;
}

void AddRunsCommands(CLI::App& runs, Context& ctx) {
  AddRunList(runs, ctx);
  AddOne(runs, ctx, "get", "Show one run (result, trace, error)");
  AddOne(runs, ctx, "cancel", "Cancel a run (also a processing one)");
  AddOne(runs, ctx, "rerun", "Run a finished run again (a RERUN run)");
  AddExportCommand(runs, ctx, "runs");
}

}  // namespace flare::cli

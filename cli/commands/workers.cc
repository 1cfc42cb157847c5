// `flarectl workers …`: the worker protocol of SPEC §6 one call at a time (scripts, debugging
// a worker written in another language). `worker run` is the ready-made worker.

#include "cli/commands/command.h"
#include "cli/worker_protocol.h"

namespace flare::cli {
namespace {

const std::vector<Column> kClaimed = {{"ID", "id"},
                                      {"RUN", "run_id"},
                                      {"LEASE", "lease_id"},
                                      {"TYPE", "job_type"},
                                      {"QUEUE", "queue"},
                                      {"ATTEMPT", "attempt"},
                                      {"PAYLOAD", "payload", CellKind::kJson}};

const std::vector<Column> kWorkerList = {{"WORKER", "worker_id"},
                                         {"QUEUES", "queues", CellKind::kJson},
                                         {"LAST SEEN", "last_seen_at", CellKind::kTime},
                                         {"RUNS", "runs_held"}};

std::string Path(const char* verb) { return std::string(kWorkersPath) + "/" + verb; }

/// --worker-id, --queue, --type on a verb.
void AddIdentity(CLI::App* cmd, WorkerIdentity& worker, bool with_queues) {
  worker.worker_id = DefaultWorkerId();
  cmd->add_option("--worker-id", worker.worker_id, "Worker id (default <host>-<pid>)");
  if (!with_queues) return;
  cmd->add_option("--queue", worker.queues, "Queue to take jobs from (repeatable)");
  cmd->add_option("--type,--job-type", worker.job_types, "Only these job types (repeatable)");
}

void DefaultQueues(WorkerIdentity& worker) {
  if (worker.queues.empty()) worker.queues = {"default"};
}

void AddRegister(CLI::App& workers, Context& ctx) {
  auto* cmd =
      workers.add_subcommand("register", "Register a worker; prints its heartbeat interval");
  auto worker = std::make_shared<WorkerIdentity>();
  AddIdentity(cmd, *worker, true);
  OnRun(cmd, ctx, [&ctx, worker] {
    DefaultQueues(*worker);
    ctx.printer().Object(
        ctx.api().Call("POST", Path("register"), RegisterBody(*worker)),
        {{"worker_id", "worker_id"}, {"heartbeat_interval_seconds", "heartbeat_interval_seconds"}});
    return kExitOk;
  });
}

void AddPoll(CLI::App& workers, Context& ctx) {
  auto* cmd = workers.add_subcommand("poll", "Claim up to --max-jobs ready jobs (long-poll)");
  struct Args {
    WorkerIdentity worker;
    int max_jobs = 1;
    int wait = 0;
  };
  auto args = std::make_shared<Args>();
  AddIdentity(cmd, args->worker, true);
  cmd->add_option("--max-jobs", args->max_jobs, "Jobs to claim at most (1-100)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--wait", args->wait, "Seconds to wait for a job (0-60)")
      ->check(CLI::Range(0, 60));
  OnRun(cmd, ctx, [&ctx, args] {
    DefaultQueues(args->worker);
    HttpRequest request;
    request.method = "POST";
    request.path = Path("poll");
    request.body = PollBody(args->worker, args->max_jobs, args->wait).dump();
    request.read_timeout = ctx.settings().timeout + std::chrono::seconds(args->wait);
    auto response = ctx.api().Send(request);
    if (!response.ok()) throw ctx.api().Unreachable(response.error().message);
    if (response->status >= 300) throw ErrorFromResponse(*response);
    nlohmann::json body = response->Json();
    if (ctx.settings().output == OutputFormat::kJson) {
      ctx.printer().Object(body, {});
    } else {
      ctx.printer().List(body.value("jobs", nlohmann::json::array()), kClaimed);
    }
    return kExitOk;
  });
}

void PrintAck(Context& ctx, const nlohmann::json& answer) {
  ctx.printer().Object(answer, {{"job_id", "job_id"},
                                {"run_id", "run_id"},
                                {"state", "state", CellKind::kState},
                                {"children_activated", "children_activated"}});
}

void AddAck(CLI::App& workers, Context& ctx) {
  auto* cmd = workers.add_subcommand("ack",
                                     "Report a claimed job's outcome (the API also takes a list: "
                                     "{worker_id, acks: [...]})");
  struct Args {
    WorkerIdentity worker;
    AckInfo ack;
    std::string status = "succeeded", result;
    long long duration_ms = -1;
    bool no_retry = false;
    int next = 0;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("job_id", args->ack.job_id, "The claimed job")->required();
  AddIdentity(cmd, args->worker, true);  // the queues and types are --next's
  cmd->add_option("--status", args->status, "succeeded or failed")
      ->check(CLI::IsMember({"succeeded", "failed"}));
  cmd->add_option("--run-id", args->ack.run_id, "Run id from the claim");
  cmd->add_option("--lease-id", args->ack.lease_id, "Lease id from the claim (fencing token)");
  cmd->add_option("--duration-ms", args->duration_ms, "How long the work took");
  cmd->add_option("--error-type", args->ack.error_type, "Failed: error type");
  cmd->add_option("--error-message", args->ack.error_message, "Failed: error message");
  cmd->add_option("--result", args->result, "Result JSON");
  cmd->add_flag("--no-retry", args->no_retry, "Failed: do not retry (dead_letter now)");
  cmd->add_option("--next", args->next,
                  "Also claim up to N next jobs of --queue/--job-type for this worker, in the "
                  "ack's own transaction (printed like a poll's; flared, not the hosted API)")
      ->check(CLI::Range(1, 100));
  OnRun(cmd, ctx, [&ctx, args] {
    args->ack.succeeded = args->status == "succeeded";
    if (args->duration_ms >= 0) args->ack.duration_ms = args->duration_ms;
    if (args->no_retry) args->ack.retryable = false;
    if (!args->result.empty()) {
      args->ack.result = nlohmann::json::parse(args->result, nullptr, false);
      if (args->ack.result.is_discarded()) throw UsageError("--result is not valid JSON");
    }
    auto body = AckBody(args->worker.worker_id, args->ack);
    if (args->next > 0) {
      DefaultQueues(args->worker);
      body["next"] = NextJobsBody(args->worker, args->next);
    }
    nlohmann::json answer = ctx.api().Call("POST", Path("ack"), body);
    if (args->next > 0 && ctx.settings().output != OutputFormat::kJson) {
      nlohmann::json jobs = answer.value("jobs", nlohmann::json::array());
      answer.erase("jobs");
      PrintAck(ctx, answer);
      ctx.printer().List(jobs, kClaimed);
      return kExitOk;
    }
    PrintAck(ctx, answer);
    return kExitOk;
  });
}

void AddHeartbeat(CLI::App& workers, Context& ctx) {
  auto* cmd = workers.add_subcommand("heartbeat", "Tell flared the worker is alive");
  struct Args {
    WorkerIdentity worker;
    std::vector<std::string> jobs;
    std::string extend;
  };
  auto args = std::make_shared<Args>();
  AddIdentity(cmd, args->worker, false);
  cmd->add_option("--job", args->jobs, "Held job, optionally with progress: ID or ID=0.5");
  cmd->add_option("--extend", args->extend, "Push the held jobs' leases out by this (e.g. 5m)");
  OnRun(cmd, ctx, [&ctx, args] {
    nlohmann::json jobs = nlohmann::json::array();
    for (const auto& job : args->jobs) {
      size_t eq = job.find('=');
      nlohmann::json entry = {{"job_id", job.substr(0, eq)}};
      if (eq != std::string::npos) entry["progress"] = std::stod(job.substr(eq + 1));
      if (!args->extend.empty()) {
        auto extend = ParseDuration(args->extend);
        if (!extend.ok()) throw UsageError("--extend wants a duration like 5m");
        entry["extend_seconds"] = extend->count();
      }
      jobs.push_back(std::move(entry));
    }
    nlohmann::json body = {{"worker_id", args->worker.worker_id}, {"jobs", jobs}};
    ctx.printer().Object(ctx.api().Call("POST", Path("heartbeat"), body),
                         {{"ok", "ok"}, {"cancel", "cancel", CellKind::kJson}});
    return kExitOk;
  });
}

void AddProgress(CLI::App& workers, Context& ctx) {
  auto* cmd = workers.add_subcommand("progress", "Report a held job's progress (0.0-1.0)");
  struct Args {
    WorkerIdentity worker;
    std::string job_id;
    double progress = 0;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("job_id", args->job_id, "The held job")->required();
  cmd->add_option("progress", args->progress, "0.0 to 1.0")
      ->required()
      ->check(CLI::Range(0.0, 1.0));
  AddIdentity(cmd, args->worker, false);
  OnRun(cmd, ctx, [&ctx, args] {
    nlohmann::json body = {{"worker_id", args->worker.worker_id},
                           {"job_id", args->job_id},
                           {"progress", args->progress}};
    ctx.printer().Object(ctx.api().Call("POST", Path("progress"), body), {{"ok", "ok"}});
    return kExitOk;
  });
}

void AddWorkerList(CLI::App& workers, Context& ctx) {
  auto* cmd = workers.add_subcommand("list", "Registered workers, last seen, runs held");
  OnRun(cmd, ctx, [&ctx] {
    ctx.printer().List(ctx.api().Call("GET", kWorkersPath), kWorkerList);
    return kExitOk;
  });
}

}  // namespace

void AddWorkersCommands(CLI::App& workers, Context& ctx) {
  AddRegister(workers, ctx);
  AddPoll(workers, ctx);
  AddAck(workers, ctx);
  AddHeartbeat(workers, ctx);
  AddProgress(workers, ctx);
  AddWorkerList(workers, ctx);
}

}  // namespace flare::cli

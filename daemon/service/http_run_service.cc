#include "daemon/service/http_run_service.h"

#include "common/http_status.h"
#include "common/http_target.h"
#include "daemon/service/state_machine.h"
#include "daemon/store/job_store.h"
#include "daemon/store/run_store.h"
#include "daemon/transport/http_json.h"

namespace flare::daemon {
namespace {

// The executor finishes a call by its own timeout; the lease only catches a lost result.
constexpr std::chrono::seconds kLeaseGrace{30};

// When the call ended, on the clock of `now` (the transaction's): `now` less the time its
// outcome waited since `ended` (a steady-clock instant), never before the run started.
// Unknown (`ended` unset) or not earlier than now: nullopt, the transition's own time.
OptTime CallEndedAt(TimePoint now, std::chrono::steady_clock::time_point ended,
                    OptTime started_at) {
  if (ended == std::chrono::steady_clock::time_point{}) return std::nullopt;
  auto waited = std::chrono::steady_clock::now() - ended;
  if (waited <= std::chrono::steady_clock::duration::zero()) return std::nullopt;
  TimePoint at = now - std::chrono::duration_cast<TimePoint::duration>(waited);
  return started_at ? std::max(at, *started_at) : at;
}

// Names the job, run and attempt so a receiver can tell a retry (same run, next attempt)
// from a new call and deduplicate (README "Requests flared sends").
HeaderList IdentityHeaders(const RunRecord& run) {
  return {{"Flare-Job-Id", run.job_id},
          {"Flare-Run-Id", run.id},
          {"Flare-Attempt", std::to_string(run.attempt)}};
}

// The JSON a call sends when its target has no body of its own: the run's own payload (a
// rerun's), else the job's, as stored (no parse on the writer's thread); none when it is
// the empty object.
std::string PayloadBody(const JobRecord& job, const RunRecord& run) {
  if (!run.payload.is_null()) {
    return run.payload.is_object() && !run.payload.empty() ? run.payload.dump() : "";
  }
  return job.payload.text() == "{}" ? "" : job.payload.text();
}

HttpCallSpec BuildCall(const HttpTarget& target, std::string payload_body, int timeout_seconds) {
  HttpCallSpec call;
  call.method = target.method;
  call.url = target.url;
  call.headers = target.headers;
  if (target.body) {
    call.body = *target.body;
  } else if (!payload_body.empty()) {
    call.body = std::move(payload_body);
    bool has_type = false;
    for (const auto& [name, value] : call.headers) {
      if (strcasecmp(name.c_str(), "Content-Type") == 0) has_type = true;
    }
    if (!has_type) call.headers.emplace_back("Content-Type", "application/json");
  }
  call.timeout = std::chrono::seconds(timeout_seconds);
  call.tls_verify = target.tls_verify;
  call.ca_cert_pem = target.ca_cert;
  call.max_redirects = target.follow_redirects;
  return call;
}

AttemptFailure FailureOf(const HttpCallOutcome& outcome, const std::string& success_status) {
  AttemptFailure failure;
  if (outcome.failure == FailureReason::kNone) {
    failure.reason = "NON_SUCCESS_STATUS";
    std::string message =
        "the target answered " + std::to_string(outcome.status) + ", expected " + success_status;
    // e.g. "stopped after 5 redirects", "did not follow a redirect from https to http"
    if (!outcome.error_message.empty()) message += " (" + outcome.error_message + ")";
    failure.error = {
        {"type", "NON_SUCCESS_STATUS"}, {"message", Utf8Safe(message)}, {"stack_trace", nullptr}};
  } else {
    failure.reason = std::string(FailureReasonName(outcome.failure));
    failure.error = {{"type", failure.reason},
                     {"message", Utf8Safe(outcome.error_message)},
                     {"stack_trace", nullptr}};
  }
  // A refused address stays refused: retrying cannot help until flared's flags change.
  failure.retryable = outcome.failure != FailureReason::kSsrfBlocked;
  failure.retry_after = outcome.retry_after;
  return failure;
}

RenderedCall RenderFinishedCall(const FinishedCall& call) {
  HttpTrace trace = call.outcome.trace;
  trace.queue_wait_ms = call.work.queue_wait_ms;
  RenderedCall rendered{StoredJson::Of(TraceJson(trace)), StoredJson()};
  if (call.outcome.status != 0) rendered.result = StoredJson::Of(ResultJson(call.outcome));
  return rendered;
}

}  // namespace

Result<std::optional<HttpWork>> HttpRunService::Begin(const std::string& project_id,
                                                      const std::string& run_id) {
  auto begun = BeginMany({{project_id, run_id}});
  if (!begun) return begun.error();
  return std::move(begun->front());
}

Result<std::vector<Result<std::optional<HttpWork>>>> HttpRunService::BeginMany(
    const std::vector<PendingHttpRun>& items) {
  using Begun = std::vector<Result<std::optional<HttpWork>>>;
  return ctx_.writer.RunRelaxed<Begun>([&](Tx& tx) -> Result<Begun> {
    Begun begun;
    begun.reserve(items.size());
    for (const PendingHttpRun& item : items) begun.push_back(BeginInTx(tx, item));
    return begun;
  });
}

Result<std::optional<HttpWork>> HttpRunService::BeginInTx(Tx& tx, const PendingHttpRun& item) {
  const std::string& project_id = item.project_id;
  auto run = tx.runs().Find(project_id, item.run_id);
  if (!run || run->state != RunState::kPending || !run->is_http) return std::optional<HttpWork>();
  // What made it ready read the job: the read below need not parse its spec again.
  tx.jobs().RememberSpec(item.spec);
  auto job = tx.jobs().Find(project_id, run->job_id);
  if (!job) return std::optional<HttpWork>();
  StateMachine machine(tx, ctx_.notifier);
  auto work = BeginHttpRunInTx(tx, machine, *job, *run, node_id_);
  if (!work) return work.error();
  return std::optional<HttpWork>(std::move(*work));
}

Result<HttpWork> BeginHttpRunInTx(Tx& tx, StateMachine& machine, JobRecord& job, RunRecord& run,
                                  const std::string& node_id) {
  // Refused before any write: in a batch, this run alone stays pending.
  if (!job.spec.http) {
    return Error{ErrorCode::kInternal, "job " + job.id + " has no http target to call"};
  }
  const HttpTarget& target = *job.spec.http;
  HttpWork work{run.project_id,
                job.id,
                run.id,
                "",
                BuildCall(target, PayloadBody(job, run), run.timeout_seconds),
                target.success_status,
                0,
                job.stored_spec};
  if (run.ready_at) work.queue_wait_ms = ToMillis(tx.now()) - ToMillis(*run.ready_at);
  // One save of the run: the lease outlasts the call's own timeout, and the request it
  // makes is kept (redacted) with it.
  machine.Start(job, run, "executor", [&](RunRecord& started) {
    started.lease_expires_at = *started.lease_expires_at + kLeaseGrace;
    started.request = StoredJson::Of(RedactedRequest(work.call));
    started.node_id = node_id;
  });
  work.lease_id = run.lease_id;
  work.call.identity_headers = IdentityHeaders(run);
  return work;
}

Status HttpRunService::Finish(const HttpWork& work, const HttpCallOutcome& outcome) {
  return FinishMany({{work, outcome}});
}

// Relaxed like a worker's ack (README "Durability"): an outcome lost in a power cut leaves the
// run processing under a node that is gone, and the next start (or another node) fails it
// WORKER_LOST and retries it, a redelivery.
Status HttpRunService::FinishMany(const std::vector<FinishedCall>& calls) {
  // Rendered here, on the caller's thread: on the writer, a call's result and trace were
  // ~7 % of its instructions per HTTP run (callgrind, bench/RESULTS.md).
  std::vector<RenderedCall> rendered;
  rendered.reserve(calls.size());
  for (const FinishedCall& call : calls) rendered.push_back(RenderFinishedCall(call));
  // Copied into the runs, not moved: the body may run again (its group rolled back).
  return ctx_.writer.RunRelaxed<Ok>([&](Tx& tx) -> Status {
    for (size_t i = 0; i < calls.size(); ++i) FinishInTx(tx, calls[i], rendered[i]);
    return Ok{};
  });
}

void HttpRunService::FinishInTx(Tx& tx, const FinishedCall& call, const RenderedCall& rendered) {
  const HttpWork& work = call.work;
  const HttpCallOutcome& outcome = call.outcome;
  auto run = tx.runs().Find(work.project_id, work.run_id);
  if (!run || run->state != RunState::kProcessing || run->lease_id != work.lease_id) return;
  tx.jobs().RememberSpec(work.spec);  // what the begin read: the read below need not parse it
  auto job = tx.jobs().Find(work.project_id, work.job_id);
  if (!job) return;
  OptTime ended_at = CallEndedAt(tx.now(), call.ended_at, run->started_at);
  run->trace = rendered.trace;
  if (!rendered.result.is_null()) run->result = rendered.result;
  StateMachine machine(tx, ctx_.notifier);
  if (outcome.failure == FailureReason::kCancelled) {
    machine.Cancel(*job, *run, "cancelled while in flight");
  } else if (outcome.failure == FailureReason::kNone &&
             MatchesSuccessStatus(outcome.status, work.success_status)) {
    machine.Succeed(*job, *run, outcome.trace.total_ms, /*result: set above*/ {}, ended_at);
  } else {
    machine.FailAttempt(*job, *run, FailureOf(outcome, work.success_status), outcome.trace.total_ms,
                        ended_at);
  }
}

Result<std::vector<PendingHttpRun>> HttpRunService::PendingRuns() {
  try {
    auto reader = ctx_.readers.Acquire();
    std::vector<PendingHttpRun> pending;
    for (const RunRecord& run : reader->runs().PendingHttpRuns())
      pending.push_back({run.project_id, run.id});
    return pending;
  } catch (const std::exception& e) {
    return Error{ErrorCode::kUnavailable, std::string("cannot read pending HTTP runs: ") + e.what(),
                 ""};
  }
}

Result<std::vector<PendingHttpRun>> HttpRunService::Recover() {
  return ctx_.writer.Run<std::vector<PendingHttpRun>>(
      [&](Tx& tx) -> Result<std::vector<PendingHttpRun>> {
        StateMachine machine(tx, ctx_.notifier);
        FailHttpRunsOfLostNodes(tx, machine, node_id_, -1);
        std::vector<PendingHttpRun> pending;
        for (const RunRecord& run : tx.runs().PendingHttpRuns())
          pending.push_back({run.project_id, run.id});
        return pending;
      });
}

int FailHttpRunsOfLostNodes(Tx& tx, StateMachine& machine, const std::string& self, int limit) {
  int failed = 0;
  for (RunRecord& run : tx.runs().HttpRunsOfLostNodes(self, tx.now() - kNodeSilenceLimit, limit)) {
    auto job = tx.jobs().Find(run.project_id, run.job_id);
    if (!job) continue;
    std::string node = run.node_id.empty() ? "an earlier flared" : "flared node " + run.node_id;
    AttemptFailure failure{"WORKER_LOST",
                           {{"type", "WORKER_LOST"},
                            {"message", node + " stopped while the request was in flight"},
                            {"stack_trace", nullptr}},
                           true,
                           std::nullopt};
    machine.FailAttempt(*job, run, failure, std::nullopt);
    ++failed;
  }
  return failed;
}

}  // namespace flare::daemon

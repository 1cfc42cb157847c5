#include "daemon/service/state_machine.h"

#include <algorithm>
#include <memory>

#include "common/backoff.h"
#include "common/ids.h"
#include "daemon/log.h"
#include "daemon/service/http_run_service.h"
#include "daemon/service/job_factory.h"
#include "daemon/service/worker_service.h"
#include "daemon/store/event_store.h"
#include "daemon/store/job_store.h"
#include "daemon/store/run_store.h"

namespace flare::daemon {
namespace {

void LogTransition(const RunRecord& run, RunState from) {
  if (!LogEnabled(LogLevel::kInfo)) return;
  LogInfo("run", {{"run", run.id},
                  {"job", run.job_id},
                  {"from", ToString(from)},
                  {"to", ToString(run.state)},
                  {"attempt", run.attempt}});
}

}  // namespace

void StateMachine::Save(JobRecord& job, RunRecord& run) {
  if (!unstored_run_id_.empty() && run.id == unstored_run_id_) {
    unstored_run_id_.clear();
    tx_.runs().Insert(run);
  } else {
    tx_.runs().Save(run);
  }
  Mirror(job, run);
}

void StateMachine::Mirror(JobRecord& job, const RunRecord& run) {
  if (job.last_run_id == run.id) {
    job.state = run.state;
    job.attempt = run.attempt;
    job.max_attempts = run.max_attempts;
    job.started_at = run.started_at;
    job.completed_at = run.completed_at;
    job.next_retry_at = run.next_retry_at;
    job.progress = run.progress;
    job.duration_ms = run.duration_ms;
    job.error = run.error;
    job.updated_at = tx_.now();
  }
  tx_.jobs().SaveState(job);
  notifier_.JobSaved(tx_, job);
}

void StateMachine::Record(const JobRecord& job, const RunRecord* run, const std::string& type,
                          nlohmann::json details) {
  EventRecord event;
  event.id = NewId("evt", tx_.now());
  event.project_id = job.project_id;
  event.job_id = job.id;
  if (run) {
    event.run_id = run->id;
    event.attempt = run->attempt;
  }
  event.type = type;
  event.at = tx_.now();
  event.details = std::move(details);
  tx_.events().Append(event);
  if (EventObserver* observers = notifier_.events()) observers->OnEvent(tx_, job, run, event);
}

void StateMachine::Announce(const JobRecord& job, const RunRecord& run) {
  if (run.is_http) {
    tx_.OnCommit([&n = notifier_, ready = PendingHttpRun{run.project_id, run.id, job.stored_spec}] {
      n.HttpRunReady(ready);
    });
  } else {
    tx_.OnCommit([&n = notifier_, project = run.project_id, queue = run.queue,
                  type = run.job_type] { n.WorkerRunReady(project, queue, type); });
  }
}

bool StateMachine::InsertTakingIfAwaited(JobRecord& job, RunRecord& run) {
  unstored_run_id_ = run.id;
  bool taken = TakeIfAwaited(job, run);  // its Start's Save inserted it
  if (!taken) tx_.runs().Insert(run);
  unstored_run_id_.clear();
  return taken;
}

bool StateMachine::TakeIfAwaited(JobRecord& job, RunRecord& run) {
  return run.is_http ? BeginIfSlotFree(job, run) : HandToParkedPoll(job, run);
}

bool StateMachine::HandToParkedPoll(JobRecord& job, RunRecord& run) {
  ParkedPolls* polls = notifier_.parked_polls();
  if (polls == nullptr) return false;
  auto poll = polls->TryReserve(run.project_id, run.queue, run.job_type);
  if (!poll) return false;
  // The commit answers the poll; a rollback (the claim below throws, or the operation fails
  // later) lets it wait on.
  auto answer = std::make_shared<ClaimedRun>();
  tx_.OnCommit(
      [polls, ticket = poll->ticket, answer] { polls->Claimed(ticket, std::move(*answer)); });
  tx_.OnAbort([polls, ticket = poll->ticket] { polls->Release(ticket); });
  *answer = ClaimForParkedPollInTx(tx_, *this, job, run, *poll);
  return true;
}

bool StateMachine::BeginIfSlotFree(JobRecord& job, RunRecord& run) {
  HttpRunStarter* starter = notifier_.http_starter();
  if (starter == nullptr || !starter->TryReserve()) return false;
  // Exactly one of the two hand-offs runs: the commit's, which performs the call (or, if
  // the begin failed, gives the slot back), or the rollback's.
  auto begun = std::make_shared<std::optional<HttpWork>>();
  tx_.OnCommit([starter, begun] {
    if (*begun) {
      starter->Begun(std::move(**begun));
    } else {
      starter->Release();
    }
  });
  tx_.OnAbort([starter] { starter->Release(); });
  auto work = BeginHttpRunInTx(tx_, *this, job, run, starter->node_id());
  if (!work) return false;  // its request cannot be built: announced, the executor says why
  begun->emplace(std::move(*work));
  return true;
}

void StateMachine::MakeReady(JobRecord& job, RunRecord& run) {
  if (IsPaused(job)) {
    Hold(job, run);
    Record(job, &run, "scheduled", {{"waiting_for", "resume"}});
    return;
  }
  RunState from = run.state;
  run.state = RunState::kPending;
  run.due_at = tx_.now();
  run.ready_at = tx_.now();
  run.next_retry_at.reset();
  if (job.last_run_id == run.id && !IsRecurring(job)) job.next_run_at.reset();
  // Only one-off jobs have an API run: its first readiness is the job's one fire, after
  // which the job disables itself (SPEC §4).
  bool fired = run.trigger == "API" && job.enabled;
  if (fired) {
    job.enabled = false;
    job.next_run_at.reset();
  }
  if (from != RunState::kPending) LogTransition(run, from);
  // Taken at once, the run is saved once, as processing; otherwise as pending.
  if (!TakeIfAwaited(job, run)) {
    Save(job, run);
    Announce(job, run);
  }
  if (fired) tx_.jobs().SaveEnabled(job);  // the mirror above wrote next_run_at
}

void StateMachine::Hold(JobRecord& job, RunRecord& run) {
  RunState from = run.state;
  if (run.state != RunState::kFailed)
    run.state = RunState::kScheduled;  // a held retry keeps its next_retry_at
  run.due_at.reset();
  Save(job, run);
  if (from != run.state) LogTransition(run, from);
}

void StateMachine::ReleaseRetry(JobRecord& job, RunRecord& run) {
  run.due_at = std::max(run.next_retry_at.value_or(tx_.now()), tx_.now());
  Save(job, run);
  tx_.OnCommit([&n = notifier_, t = *run.due_at] { n.WakeAt(t); });
}

void StateMachine::Wait(JobRecord& job, RunRecord& run, OptTime due) {
  RunState from = run.state;
  run.state = RunState::kScheduled;
  run.due_at = due;
  Save(job, run);
  if (due) tx_.OnCommit([&n = notifier_, t = *due] { n.WakeAt(t); });
  if (from != run.state) LogTransition(run, from);
}

void StateMachine::Start(JobRecord& job, RunRecord& run, const std::string& worker_id,
                         const std::function<void(RunRecord&)>& amend) {
  RunState from = run.state;
  run.state = RunState::kProcessing;
  run.attempt += 1;
  run.worker_id = worker_id;
  run.lease_id = NewId("lse", tx_.now());
  run.lease_expires_at = tx_.now() + std::chrono::seconds(run.timeout_seconds);
  run.started_at = tx_.now();
  run.completed_at.reset();
  run.duration_ms.reset();
  run.next_retry_at.reset();
  run.progress.reset();
  run.acked_lease_id.clear();
  run.ack_response = nullptr;
  if (amend) amend(run);
  Save(job, run);
  Record(job, &run, "started", {{"worker_id", worker_id}});
  // The timer must look again when the lease ends and, for a worker's run, once the worker
  // could have fallen silent (it was seen now): a worker that dies right after its claim
  // loses the run after the silence limit, not at the end of a lease of up to a day. While
  // it beats, each look moves the next one to its last beat + the limit (TimerService).
  TimePoint look_again = *run.lease_expires_at;
  if (!run.is_http)
    look_again =
        std::min(look_again, tx_.now() + kWorkerSilenceLimit + std::chrono::milliseconds(1));
  tx_.OnCommit([&n = notifier_, t = look_again] { n.WakeAt(t); });
  LogTransition(run, from);
}

int StateMachine::Succeed(JobRecord& job, RunRecord& run, std::optional<int64_t> duration_ms,
                          const StoredJson& result, OptTime ended_at) {
  RunState from = run.state;
  run.state = RunState::kSucceeded;
  run.completed_at = ended_at.value_or(tx_.now());
  run.duration_ms = duration_ms
                        ? duration_ms
                        : std::optional<int64_t>(ToMillis(tx_.now()) -
                                                 ToMillis(run.started_at.value_or(tx_.now())));
  run.progress = 1.0;
  run.error = nullptr;
  run.failure_reason.clear();
  if (!result.is_null()) run.result = result;
  run.lease_expires_at.reset();
  Save(job, run);
  Record(job, &run, "succeeded", {{"duration_ms", *run.duration_ms}});
  LogTransition(run, from);
  return ActivateChildren(job);
}

void StateMachine::FailAttempt(JobRecord& job, RunRecord& run, const AttemptFailure& failure,
                               std::optional<int64_t> duration_ms, OptTime ended_at) {
  RunState from = run.state;
  run.completed_at = ended_at.value_or(tx_.now());
  run.duration_ms = duration_ms
                        ? duration_ms
                        : std::optional<int64_t>(ToMillis(tx_.now()) -
                                                 ToMillis(run.started_at.value_or(tx_.now())));
  run.failure_reason = failure.reason;
  run.error = failure.error;
  run.lease_expires_at.reset();
  nlohmann::json details = {{"failure_reason", failure.reason}, {"error", failure.error}};
  Record(job, &run, "attempt_failed", details);
  bool attempts_left = run.attempt < run.max_attempts;
  if (failure.retryable && attempts_left) {
    const RetryPolicy& policy = job.spec.retry;
    auto delay = RetryDelay(policy, run.attempt, UnitRandom());
    if (failure.retry_after) {
      auto asked = std::chrono::duration_cast<std::chrono::milliseconds>(*failure.retry_after);
      auto cap = std::chrono::milliseconds(policy.max_delay_seconds * 1000);
      delay = std::max(delay, std::min(asked, cap));
    }
    run.state = RunState::kFailed;
    run.next_retry_at = *run.completed_at + delay;
    bool paused = IsPaused(job);  // the retry waits for the resume, then for its time
    run.due_at = paused ? OptTime() : run.next_retry_at;
    Save(job, run);
    nlohmann::json retry = {{"next_retry_at", FormatTime(*run.next_retry_at)}};
    if (paused) retry["waiting_for"] = "resume";
    Record(job, &run, "retry_scheduled", std::move(retry));
    if (!paused) tx_.OnCommit([&n = notifier_, t = *run.next_retry_at] { n.WakeAt(t); });
  } else {
    run.state = RunState::kDeadLetter;
    run.next_retry_at.reset();
    run.due_at.reset();
    Save(job, run);
    Record(job, &run, "dead_lettered",
           {{"reason", failure.retryable ? "attempts exhausted" : "not retryable"}});
    CancelWaitingChildren(job, "parent job " + job.id + " dead-lettered");
  }
  LogTransition(run, from);
}

void StateMachine::Cancel(JobRecord& job, RunRecord& run, const std::string& why) {
  RunState from = run.state;
  run.state = RunState::kCancelled;
  run.completed_at = tx_.now();
  run.due_at.reset();
  run.next_retry_at.reset();
  run.lease_expires_at.reset();
  Save(job, run);
  Record(job, &run, "cancelled", {{"reason", why}});
  LogTransition(run, from);
}

int StateMachine::CancelWaitingChildren(const JobRecord& parent, const std::string& why) {
  // A chain of continuations can be tens of thousands deep, so it is walked with a work
  // list, not by recursion (which would overflow the writer thread's stack).
  int cancelled = 0;
  if (!MayHaveChildren(parent.id)) return 0;
  std::vector<std::pair<std::string, std::string>> parents = {{parent.id, why}};  // id, reason
  while (!parents.empty()) {
    auto [parent_id, reason] = std::move(parents.back());
    parents.pop_back();
    for (JobRecord& child : tx_.jobs().ChildrenInState(parent_id, JobState::kScheduled)) {
      for (RunRecord& run :
           tx_.runs().OfJobInState(child.id, {RunState::kScheduled, RunState::kPending})) {
        Cancel(child, run, reason);
      }
      ++cancelled;
      parents.emplace_back(child.id, "ancestor job " + parent_id + " did not succeed");
    }
  }
  return cancelled;
}

int StateMachine::ActivateChildren(const JobRecord& parent) {
  int activated = 0;
  if (!MayHaveChildren(parent.id)) return 0;
  for (JobRecord& child : tx_.jobs().ChildrenInState(parent.id, JobState::kScheduled)) {
    if (IsPaused(child)) continue;  // a paused child starts when it is resumed
    for (RunRecord& run : tx_.runs().OfJobInState(child.id, {RunState::kScheduled})) {
      if (run.due_at) continue;  // waiting for its own run_at, not for the parent
      const OptTime& at = child.spec.run_at;
      if (at && *at > tx_.now()) {
        Wait(child, run, *at);
      } else {
        MakeReady(child, run);
      }
      ++activated;
    }
  }
  return activated;
}

}  // namespace flare::daemon

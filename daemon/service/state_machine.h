#pragma once
// The one place that changes run and job states (SPEC §3). Every transition saves the run,
// mirrors it onto its job when it is the job's latest run, appends the event, and tells the
// engines after commit. Callers check preconditions that are theirs (leases, API states).
//
//   scheduled ──due──▶ pending ──claim──▶ processing ──ok──▶ succeeded
//       ▲                 ▲                   │
//       │ retry delay     └──── due ◀── failed ◀─┤ attempt failed, attempts left
//   (parent, run_at)                          └──▶ dead_letter (none left / not retryable)
//   pending | scheduled | failed ──cancel──▶ cancelled
//
// A paused job holds every run (IsPaused): none becomes pending, retries wait for the resume.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "daemon/service/notifier.h"
#include "daemon/store/records.h"
#include "daemon/store/tx.h"

namespace flare::daemon {

struct AttemptFailure {
  std::string reason;    // TIMEOUT, CONNECTION_ERROR, …, WORKER_ERROR, WORKER_LOST
  nlohmann::json error;  // {type, message, stack_trace} or null
  bool retryable = true;
  std::optional<std::chrono::seconds> retry_after;  // a target's Retry-After
};

class StateMachine {
 public:
  StateMachine(Tx& tx, WorkNotifier& notifier) : tx_(tx), notifier_(notifier) {}

  /// Which parents may have children waiting on them, when the caller already knows (a batch
  /// looked for all its jobs at once, BatchRows): the others are not looked up one by one.
  /// Unset, every parent is looked up.
  void KnowWaitingParents(std::function<bool(const std::string& job_id)> may_have_children) {
    may_have_children_ = std::move(may_have_children);
  }

  /// The run may be claimed now — unless its job is paused: then it is held. The first
  /// readiness of a one-off job's run is its fire: the job disables itself.
  void MakeReady(JobRecord& job, RunRecord& run);
  /// A paused job's run waits for the resume: pending or scheduled → scheduled without a
  /// due time; a failed run keeps its next_retry_at but is not due.
  void Hold(JobRecord& job, RunRecord& run);
  /// A held retry of a resumed job: due at its next_retry_at (or now, if that passed).
  void ReleaseRetry(JobRecord& job, RunRecord& run);
  /// The run waits until `due` (nullopt: until something else wakes it, e.g. its parent).
  void Wait(JobRecord& job, RunRecord& run, OptTime due);
  /// A worker (or the executor) took the run: new attempt, new lease. `amend` may add to the
  /// run before its one save (the executor's longer lease and its request).
  void Start(JobRecord& job, RunRecord& run, const std::string& worker_id,
             const std::function<void(RunRecord&)>& amend = {});
  /// Returns how many continuation children became ready.
  /// `result`: the run's result from now on; null keeps the one the run has.
  /// `ended_at`: when the attempt ended, if before now (an HTTP call whose outcome waited
  /// to be recorded); it becomes the run's completed_at.
  int Succeed(JobRecord& job, RunRecord& run, std::optional<int64_t> duration_ms,
              const StoredJson& result, OptTime ended_at = std::nullopt);
  /// Schedules a retry (its delay counted from `ended_at`, else now) or dead-letters;
  /// cascades to children on dead-letter.
  void FailAttempt(JobRecord& job, RunRecord& run, const AttemptFailure& failure,
                   std::optional<int64_t> duration_ms, OptTime ended_at = std::nullopt);
  void Cancel(JobRecord& job, RunRecord& run, const std::string& why);
  /// Cancels children waiting on `parent`, and theirs; returns how many.
  int CancelWaitingChildren(const JobRecord& parent, const std::string& why);

  /// Tells the engines, after commit, that `run` of `job` is ready to be taken.
  void Announce(const JobRecord& job, const RunRecord& run);
  /// A new ready run, not stored yet: taken right here when somebody waits for it
  /// (TakeIfAwaited), and so inserted once, already processing; otherwise inserted as it is
  /// (pending). True when taken; the caller announces a run that was not.
  bool InsertTakingIfAwaited(JobRecord& job, RunRecord& run);
  /// The ready run `run` (in memory, saved or not) is taken and saved as processing when
  /// somebody waits for it: an HTTP run when the executor has a call slot free
  /// (http_work.h), a worker run when a poll of its queue is parked (parked_polls.h); its
  /// call starts, or the poll is answered, as soon as this transaction commits. False
  /// (nothing written) otherwise.
  bool TakeIfAwaited(JobRecord& job, RunRecord& run);
  /// Appends an event to the job's history.
  void Record(const JobRecord& job, const RunRecord* run, const std::string& type,
              nlohmann::json details = nlohmann::json::object());
  /// Copies a run's state onto its job when it is the job's latest run, and saves both.
  void Save(JobRecord& job, RunRecord& run);
  /// The same for a run that was just inserted as it is: saves only the job.
  void Mirror(JobRecord& job, const RunRecord& run);

 private:
  int ActivateChildren(const JobRecord& parent);
  bool BeginIfSlotFree(JobRecord& job, RunRecord& run);
  bool HandToParkedPoll(JobRecord& job, RunRecord& run);

  bool MayHaveChildren(const std::string& job_id) const {
    return !may_have_children_ || may_have_children_(job_id);
  }

  Tx& tx_;
  WorkNotifier& notifier_;
  std::function<bool(const std::string&)> may_have_children_;
  // The run InsertTakingIfAwaited is taking: its first Save inserts it (a row update, its
  // counter read and a job update fewer than inserting it pending and starting it).
  std::string unstored_run_id_;
};

}  // namespace flare::daemon

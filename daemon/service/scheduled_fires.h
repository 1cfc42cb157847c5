#pragma once
// Turning due fires of recurring jobs into runs, with concurrency_policy applied:
// allow runs every fire; forbid skips a fire while a run of the job is active and records
// a "skipped" event; replace cancels the active run (aborting it if it is in flight).

#include <functional>

#include "daemon/service/state_machine.h"

namespace flare::daemon {

struct FireStats {
  int fired = 0;
  int skipped = 0;
  bool more = false;  // a slice limit was hit
};

/// Fires every recurring job due at tx.now(), in slices of `limit` jobs. Fires due before
/// `up_since` (when this flared started) were missed while it was down.
FireStats FireDueJobs(Tx& tx, StateMachine& machine, WorkNotifier& notifier, int limit,
                      TimePoint up_since);

/// Makes a run of `job` now (SCHEDULE, MANUAL, RERUN…) and makes it ready (it may be taken
/// at once: StateMachine::InsertTakingIfAwaited), or holds it (scheduled) until the job is resumed
/// when the job is paused. `on_made` sees the new run first, so the events it records
/// precede those of the run's start.
RunRecord StartNewRun(Tx& tx, StateMachine& machine, JobRecord& job, const std::string& trigger,
                      TimePoint scheduled_for, const nlohmann::json& payload = nullptr,
                      const std::string& rerun_of = "",
                      const std::function<void(const RunRecord&)>& on_made = {});
/// A MANUAL or RERUN run: ready now (held while the job is paused), with its own payload
/// (null = the job's), recorded in the job's history as `event_type` with `event_details`.
RunRecord BuildRunForTrigger(Tx& tx, StateMachine& machine, JobRecord& job,
                             const std::string& trigger, const nlohmann::json& payload,
                             const std::string& rerun_of, const std::string& event_type,
                             nlohmann::json event_details);

}  // namespace flare::daemon

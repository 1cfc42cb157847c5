#include "daemon/service/scheduled_fires.h"

#include "daemon/service/fire_planner.h"
#include "daemon/service/job_factory.h"
#include "daemon/store/job_store.h"
#include "daemon/store/run_store.h"

namespace flare::daemon {
namespace {

// False when the fire must not run (forbid with an active run).
bool AdmitFire(Tx& tx, StateMachine& machine, WorkNotifier& notifier, JobRecord& job,
               TimePoint fire) {
  ConcurrencyPolicy policy = job.spec.concurrency_policy;
  if (policy == ConcurrencyPolicy::kAllow) return true;
  auto active = tx.runs().OfJobInState(
      job.id, {RunState::kPending, RunState::kProcessing, RunState::kFailed});
  if (active.empty()) return true;
  if (policy == ConcurrencyPolicy::kForbid) {
    machine.Record(
        job, &active.back(), "skipped",
        {{"scheduled_for", FormatTime(fire)},
         {"reason", "concurrency_policy forbid: run " + active.back().id + " is still active"}});
    return false;
  }
  for (RunRecord& run : active) {  // replace
    bool in_flight = run.state == RunState::kProcessing;
    run.cancel_requested = in_flight && !run.is_http;  // a worker learns it at its heartbeat
    machine.Cancel(job, run, "replaced by the fire of " + FormatTime(fire));
    if (in_flight) tx.OnCommit([&notifier, id = run.id] { notifier.RunCancelled(id); });
  }
  return true;
}

}  // namespace

RunRecord BuildRunForTrigger(Tx& tx, StateMachine& machine, JobRecord& job,
                             const std::string& trigger, const nlohmann::json& payload,
                             const std::string& rerun_of, const std::string& event_type,
                             nlohmann::json event_details) {
  return StartNewRun(tx, machine, job, trigger, tx.now(), payload, rerun_of,
                     [&](const RunRecord& run) {
                       machine.Record(job, &run, event_type, std::move(event_details));
                     });
}

RunRecord StartNewRun(Tx& tx, StateMachine& machine, JobRecord& job, const std::string& trigger,
                      TimePoint scheduled_for, const nlohmann::json& payload,
                      const std::string& rerun_of,
                      const std::function<void(const RunRecord&)>& on_made) {
  RunRecord run = BuildRun(job, trigger, tx.now());
  run.scheduled_for = scheduled_for;
  run.payload = payload;
  run.rerun_of = rerun_of;
  job.last_run_id = run.id;
  if (IsPaused(job)) {  // a trigger or rerun of a paused job waits for the resume
    tx.runs().Insert(run);
    machine.Mirror(job, run);
    if (on_made) on_made(run);
    machine.Record(job, &run, "scheduled", {{"waiting_for", "resume"}});
    return run;
  }
  run.state = RunState::kPending;
  run.due_at = run.ready_at = tx.now();
  if (on_made) on_made(run);  // its events come before those of the run's start
  if (!machine.InsertTakingIfAwaited(job, run)) {
    machine.Mirror(job, run);
    machine.Announce(job, run);
  }
  return run;
}

FireStats FireDueJobs(Tx& tx, StateMachine& machine, WorkNotifier& notifier, int limit,
                      TimePoint up_since) {
  FireStats stats;
  auto due = tx.jobs().DueScheduled(tx.now(), limit);
  stats.more = static_cast<int>(due.size()) == limit;
  for (JobRecord& job : due) {
    if (!IsRecurring(job)) {  // a one-off's next_run_at is only informative
      job.next_run_at.reset();
      tx.jobs().SaveState(job);
      continue;
    }
    FirePlan plan = PlanFires(job, job.spec.misfire_policy, tx.now(), up_since);
    // Set before firing, so the job row each new run is mirrored onto already carries the
    // next fire and needs no second write.
    job.next_run_at = plan.next_run_at;
    bool saved = false;
    for (TimePoint fire : plan.fires) {
      if (!AdmitFire(tx, machine, notifier, job, fire)) {
        ++stats.skipped;
        continue;
      }
      StartNewRun(tx, machine, job, "SCHEDULE", fire);
      saved = true;
      ++stats.fired;
    }
    if (plan.skipped > 0) {
      machine.Record(job, nullptr, "skipped",
                     {{"missed_fires", plan.skipped}, {"reason", "misfire_policy"}});
    }
    if (!saved) tx.jobs().SaveState(job);
    if (plan.next_run_at) tx.OnCommit([&notifier, t = *plan.next_run_at] { notifier.WakeAt(t); });
  }
  return stats;
}

}  // namespace flare::daemon

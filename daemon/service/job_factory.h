#pragma once
// Turning a validated JobSpec into rows: the job and its first run, and where that run
// starts (ready now, waiting for a time, or waiting for its parent).

#include "common/job_spec.h"
#include "daemon/store/records.h"

namespace flare::daemon {

/// A new job row (state not yet decided) from `spec`.
JobRecord BuildJob(JobSpec spec, const std::string& project_id, TimePoint now);
/// A new run of `job` with the job's current settings.
RunRecord BuildRun(const JobRecord& job, const std::string& trigger, TimePoint now);
/// Copies the settings a waiting run takes from its job (queue, type, limits).
void RefreshRunSettings(const JobRecord& job, RunRecord& run);

/// How a job's schedule plays out from `now`.
struct SchedulePlan {
  bool recurring = false;  // cron or @every: runs are made by the scheduler at each fire
  OptTime first_run;       // one-off: when its single run becomes ready (nullopt = now)
  OptTime next_run_at;     // the next fire (recurring) or the one-off's future time
};

/// Validates schedule + timezone (+ run_at) and plans the first fire after `now`.
/// `anchor` is the phase of @every schedules (the job's creation time).
Result<SchedulePlan> PlanSchedule(const JobSpec& spec, TimePoint now, TimePoint anchor);
/// True for jobs whose schedule is cron or @every.
bool IsRecurring(const JobRecord& job);
/// True when the job was paused (PATCH enabled:false, or a recurring job cancelled): every
/// run of it waits until it is resumed. A one-off that fired is disabled (`enabled` false,
/// SPEC §4) but not paused: its retries still run. The pause is what the job's body says.
bool IsPaused(const JobRecord& job);
/// The next fire of a recurring job strictly after `after` (nullopt when it never fires).
OptTime NextScheduledFire(const JobRecord& job, TimePoint after);

}  // namespace flare::daemon

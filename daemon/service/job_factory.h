#pragma once
// Turning a validated JobSpec into rows: the job and its first run, and where that run
// starts (ready now, waiting for a time, or waiting for its parent).

#include "common/job_spec.h"
#include "daemon/store/records.h"

namespace flare::daemon {

/// A new job row (state not yet decided) from `spec`.
JobRecord BuildJob(const JobSpec& spec, const std::string& project_id, TimePoint now);
/// A new run of `job` with the job's current settings.
RunRecord BuildRun(const JobRecord& job, const std::string& trigger, TimePoint now);
/// Copies the settings a waiting run takes from its job (queue, type, limits).
void RefreshRunSettings(const JobRecord& job, RunRecord& run);

/// When the first run of a new job should become ready: nullopt = now.
Result<OptTime> FirstRunTime(const JobSpec& spec, TimePoint now);

}  // namespace flare::daemon

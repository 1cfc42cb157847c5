#pragma once
// Which fires of a recurring job to run when the scheduler looks at it (SPEC §4).
//
// The job's next_run_at is its oldest unhandled fire. At `now` every fire from there up to
// now is due. A fire within kMisfireGrace of now is on time and always runs, unless it was
// due before `up_since` (this flared's start): then flared was down, however recent the fire.
// Older fires were missed (flared was down or overloaded): misfire_policy decides —
// run_once runs the latest missed fire if no on-time fire runs anyway, skip drops them,
// run_all runs them all (at most kMaxCatchUp). Pausing clears next_run_at and resuming
// plans from the resume time, so a paused stretch is never caught up. The planner only
// computes; it writes nothing.

#include <chrono>
#include <vector>

#include "common/job_spec.h"
#include "daemon/store/records.h"

namespace flare::daemon {

inline constexpr std::chrono::seconds kMisfireGrace{10};
inline constexpr int kMaxCatchUp = 100;

struct FirePlan {
  std::vector<TimePoint> fires;  // scheduled_for of each run to make, oldest first
  int skipped = 0;               // missed fires the policy dropped
  OptTime next_run_at;           // the first fire after now
};

FirePlan PlanFires(const JobRecord& job, MisfirePolicy policy, TimePoint now, TimePoint up_since);

}  // namespace flare::daemon

#include "daemon/service/fire_planner.h"

#include "daemon/service/job_factory.h"

namespace flare::daemon {

FirePlan PlanFires(const JobRecord& job, MisfirePolicy policy, TimePoint now, TimePoint up_since) {
  FirePlan plan;
  std::vector<TimePoint> missed, on_time;
  OptTime fire = job.next_run_at;
  // Bounded: at most kMaxCatchUp missed fires are kept; beyond that we jump to now.
  int seen = 0;
  while (fire && *fire <= now && seen <= kMaxCatchUp) {
    bool missed_fire = *fire < up_since || now - *fire > kMisfireGrace;
    (missed_fire ? missed : on_time).push_back(*fire);
    fire = NextScheduledFire(job, *fire);
    ++seen;
  }
  if (fire && *fire <= now) fire = NextScheduledFire(job, now);  // too many missed to walk
  plan.next_run_at = fire;
  switch (policy) {
    case MisfirePolicy::kRunAll:
      plan.fires = missed;
      break;
    case MisfirePolicy::kRunOnce:
      if (!missed.empty() && on_time.empty()) plan.fires.push_back(missed.back());
      plan.skipped = static_cast<int>(missed.size()) - static_cast<int>(plan.fires.size());
      break;
    case MisfirePolicy::kSkip:
      plan.skipped = static_cast<int>(missed.size());
      break;
  }
  plan.fires.insert(plan.fires.end(), on_time.begin(), on_time.end());
  return plan;
}

}  // namespace flare::daemon

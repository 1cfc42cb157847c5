#include "daemon/store/postgres/counters.h"

namespace flare::daemon::postgres {

void FlushCounters(pg::Connection& db, CounterDeltas& counters) {
  const auto& kept = counters.kept();
  for (const auto& [key, d] : kept.queues) {
    const auto& [project, queue, state] = key;
    db.Exec(
        "INSERT INTO queue_counts AS q (project_id, queue, state, slot, current, entered) "
        "VALUES ($1, $2, $3, flare_counter_slot(), $4, $5) "
        "ON CONFLICT (project_id, queue, state, slot) DO UPDATE SET "
        "current = q.current + excluded.current, entered = q.entered + excluded.entered",
        project, queue, ToString(state), d.current, d.entered);
  }
  for (const auto& [key, d] : kept.minutes) {
    db.Exec(
        "INSERT INTO run_stats_minute AS m (project_id, minute, slot, created, succeeded, "
        "failed, retried, cancelled) VALUES ($1, $2, flare_counter_slot(), $3, $4, $5, $6, $7) "
        "ON CONFLICT (project_id, minute, slot) DO UPDATE SET "
        "created = m.created + excluded.created, succeeded = m.succeeded + excluded.succeeded, "
        "failed = m.failed + excluded.failed, retried = m.retried + excluded.retried, "
        "cancelled = m.cancelled + excluded.cancelled",
        key.first, key.second, d.created, d.succeeded, d.failed, d.retried, d.cancelled);
  }
  for (const auto& [key, d] : kept.days) {
    db.Exec(
        "INSERT INTO usage_daily AS u (project_id, day, slot, runs, succeeded, failed) "
        "VALUES ($1, $2, flare_counter_slot(), $3, $4, $5) "
        "ON CONFLICT (project_id, day, slot) DO UPDATE SET runs = u.runs + excluded.runs, "
        "succeeded = u.succeeded + excluded.succeeded, failed = u.failed + excluded.failed",
        key.first, key.second, d.runs, d.succeeded, d.failed);
  }
  for (const auto& [project, n] : kept.active_jobs) {
    db.Exec(
        "INSERT INTO project_counts AS p (project_id, slot, active_jobs) "
        "VALUES ($1, flare_counter_slot(), $2) ON CONFLICT (project_id, slot) DO UPDATE SET "
        "active_jobs = p.active_jobs + excluded.active_jobs",
        project, n);
  }
  counters.Clear();
}

}  // namespace flare::daemon::postgres

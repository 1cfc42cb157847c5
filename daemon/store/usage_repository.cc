#include "daemon/store/usage_repository.h"

#include "daemon/store/columns.h"

namespace flare::daemon {

std::vector<DailyUsage> ReadDailyUsage(Connection& c, const std::string& project_id,
                                       int64_t first_day, int64_t last_day) {
  auto& st = c.Prepare(
      "SELECT day, runs, succeeded, failed, webhook_deliveries FROM usage_daily "
      "WHERE project_id = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day");
  st.bind(1, project_id);
  st.bind(2, first_day);
  st.bind(3, last_day);
  std::vector<DailyUsage> days;
  while (st.executeStep()) {
    days.push_back({st.getColumn(0).getInt64(), st.getColumn(1).getInt64(),
                    st.getColumn(2).getInt64(), st.getColumn(3).getInt64(),
                    st.getColumn(4).getInt64()});
  }
  return days;
}

std::vector<RunStatsBucket> ReadRunStats(Connection& c, const std::string& project_id,
                                         int64_t first_minute, int64_t bucket_minutes) {
  auto& st = c.Prepare(
      "SELECT (minute / ?3) * ?3 AS bucket, SUM(created), SUM(succeeded), SUM(failed), "
      "SUM(retried), SUM(cancelled) FROM run_stats_minute "
      "WHERE project_id = ?1 AND minute >= ?2 GROUP BY bucket ORDER BY bucket");
  st.bind(1, project_id);
  st.bind(2, first_minute);
  st.bind(3, bucket_minutes);
  std::vector<RunStatsBucket> buckets;
  while (st.executeStep()) {
    buckets.push_back({st.getColumn(0).getInt64(), st.getColumn(1).getInt64(),
                       st.getColumn(2).getInt64(), st.getColumn(3).getInt64(),
                       st.getColumn(4).getInt64(), st.getColumn(5).getInt64()});
  }
  return buckets;
}

RunStatsBucket SumRunStats(Connection& c, const std::string& project_id, int64_t first_minute) {
  auto& st = c.Prepare(
      "SELECT ifnull(SUM(created), 0), ifnull(SUM(succeeded), 0), ifnull(SUM(failed), 0), "
      "ifnull(SUM(retried), 0), ifnull(SUM(cancelled), 0) FROM run_stats_minute "
      "WHERE project_id = ?1 AND minute >= ?2");
  st.bind(1, project_id);
  st.bind(2, first_minute);
  RunStatsBucket sum{first_minute};
  if (st.executeStep()) {
    sum.created = st.getColumn(0).getInt64();
    sum.succeeded = st.getColumn(1).getInt64();
    sum.failed = st.getColumn(2).getInt64();
    sum.retried = st.getColumn(3).getInt64();
    sum.cancelled = st.getColumn(4).getInt64();
  }
  return sum;
}

std::vector<QueueCount> ReadQueueCounts(Connection& c, const std::string& project_id) {
  auto& st = c.Prepare(
      "SELECT queue, state, current, entered FROM queue_counts WHERE project_id = ?1 "
      "ORDER BY queue, state");
  st.bind(1, project_id);
  std::vector<QueueCount> counts;
  while (st.executeStep()) {
    counts.push_back({st.getColumn(0).getString(), ColState(st, 1), st.getColumn(2).getInt64(),
                      st.getColumn(3).getInt64()});
  }
  return counts;
}

int64_t ReadActiveJobs(Connection& c, const std::string& project_id) {
  auto& st = c.Prepare("SELECT active_jobs FROM project_counts WHERE project_id = ?1");
  st.bind(1, project_id);
  return st.executeStep() ? st.getColumn(0).getInt64() : 0;
}

void AddWebhookDelivery(Connection& c, const std::string& project_id, TimePoint at) {
  auto& st = c.Prepare(
      "INSERT INTO usage_daily (project_id, day, webhook_deliveries) VALUES (?1, ?2, 1) "
      "ON CONFLICT DO UPDATE SET webhook_deliveries = webhook_deliveries + 1");
  st.bind(1, project_id);
  st.bind(2, static_cast<int64_t>(ToMillis(at) / kMsPerDay));
  st.exec();
}

int PruneRunStats(Connection& c, int64_t first_minute) {
  auto& st = c.Prepare("DELETE FROM run_stats_minute WHERE minute < ?1");
  st.bind(1, first_minute);
  return st.exec();
}

}  // namespace flare::daemon

namespace flare::daemon {

void ForEachFinishedRun(Connection& c, TimePoint since,
                        const std::function<void(const FinishedRunTimes&)>& visit) {
  auto& st = c.Prepare(
      "SELECT project_id, ready_at, started_at, completed_at, duration_ms, "
      "CASE WHEN is_http = 1 THEN json_extract(trace, '$.total_ms') END FROM runs "
      "WHERE state IN (?2, ?3, ?4) AND completed_at >= ?1");
  st.bind(1, static_cast<int64_t>(ToMillis(since)));
  BindState(st, 2, RunState::kSucceeded);
  BindState(st, 3, RunState::kDeadLetter);
  BindState(st, 4, RunState::kFailed);
  FinishedRunTimes run;
  while (st.executeStep()) {
    run.project_id = ColText(st, 0);
    run.ready_at = ColTime(st, 1);
    run.started_at = ColTime(st, 2);
    run.completed_at = ColTime(st, 3);
    run.duration_ms = ColInt64(st, 4);
    run.http_total_ms = ColInt64(st, 5);
    visit(run);
  }
}

}  // namespace flare::daemon

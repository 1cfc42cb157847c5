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
    counts.push_back({st.getColumn(0).getString(), st.getColumn(1).getString(),
                      st.getColumn(2).getInt64(), st.getColumn(3).getInt64()});
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
  st.bind(2, static_cast<int64_t>(ToMillis(at) / 86400000));
  st.exec();
}

void CountRunStateChange(Connection& c, const RunRecord& run, const std::string& old_queue,
                         const std::string& old_state) {
  // Two one-row upserts, not one of two rows: a statement that may change several rows needs
  // a statement journal, whose cost grows with the transaction (a deep chain cancel).
  auto& depth = c.Prepare(
      "INSERT INTO queue_counts (project_id, queue, state, current, entered) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET current = current + ?4, "
      "entered = entered + ?5");
  auto move = [&](const std::string& queue, const std::string& state, int current, int entered) {
    depth.bind(1, run.project_id);
    depth.bind(2, queue);
    depth.bind(3, state);
    depth.bind(4, current);
    depth.bind(5, entered);
    depth.exec();
    depth.reset();
  };
  move(old_queue, old_state, -1, 0);
  move(run.queue, run.state, 1, 1);
  const std::string& s = run.state;
  if (s != "succeeded" && s != "dead_letter" && s != "failed" && s != "cancelled") return;
  int64_t at = ToMillis(run.completed_at.value_or(run.created_at));
  auto& outcome = c.Prepare(
      "INSERT INTO run_stats_minute (project_id, minute, succeeded, failed, retried, cancelled) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO UPDATE SET "
      "succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed, "
      "retried = retried + excluded.retried, cancelled = cancelled + excluded.cancelled");
  outcome.bind(1, run.project_id);
  outcome.bind(2, at / 60000);
  outcome.bind(3, s == "succeeded");
  outcome.bind(4, s == "dead_letter");
  outcome.bind(5, s == "failed");
  outcome.bind(6, s == "cancelled");
  outcome.exec();
  if (s != "succeeded" && s != "dead_letter") return;
  auto& usage = c.Prepare(
      "INSERT INTO usage_daily (project_id, day, succeeded, failed) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT DO UPDATE SET succeeded = succeeded + excluded.succeeded, "
      "failed = failed + excluded.failed");
  usage.bind(1, run.project_id);
  usage.bind(2, at / 86400000);
  usage.bind(3, s == "succeeded");
  usage.bind(4, s == "dead_letter");
  usage.exec();
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
      "WHERE state IN ('succeeded', 'dead_letter', 'failed') AND completed_at >= ?1");
  st.bind(1, static_cast<int64_t>(ToMillis(since)));
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

#include "daemon/store/postgres/usage_store.h"

#include <stdexcept>

#include "daemon/store/pg/result.h"
#include "daemon/store/postgres/columns.h"

// Counter rows are striped by slot (pg/schema.cc, migration 3): every read sums the slots of
// a key, and a write here goes to the session's own slot like the counters flushed at commit
// (counters.cc). Sums of BIGINT are NUMERIC in PostgreSQL, hence the casts back.

namespace flare::daemon::postgres {
namespace {

// Runs read by ForEachFinishedRun at a time: a rebuild reads up to 30 days of runs, which
// must not sit in one result.
constexpr int kFinishedRunsPage = 5000;

RunState QueueStateAt(const pg::PgResult& r, int row, int column) {
  std::string text = r.Text(row, column);
  if (std::optional<RunState> state = ParseRunState(text)) return *state;
  throw std::runtime_error("stored state '" + text + "' is not a state this flared knows");
}

}  // namespace

std::vector<DailyUsage> PgUsageStore::ReadDaily(const std::string& project_id, int64_t first_day,
                                                int64_t last_day) {
  pg::PgResult r = session_.db.Exec(
      "SELECT day, sum(runs)::bigint, sum(succeeded)::bigint, sum(failed)::bigint, "
      "sum(webhook_deliveries)::bigint FROM usage_daily "
      "WHERE project_id = $1 AND day BETWEEN $2 AND $3 GROUP BY day ORDER BY day",
      project_id, first_day, last_day);
  std::vector<DailyUsage> days;
  for (int row = 0; row < r.rows(); ++row) {
    days.push_back(
        {r.Int64(row, 0), r.Int64(row, 1), r.Int64(row, 2), r.Int64(row, 3), r.Int64(row, 4)});
  }
  return days;
}

std::vector<RunStatsBucket> PgUsageStore::ReadRunStats(const std::string& project_id,
                                                       int64_t first_minute,
                                                       int64_t bucket_minutes) {
  pg::PgResult r = session_.db.Exec(
      "SELECT (minute / $3) * $3 AS bucket, sum(created)::bigint, sum(succeeded)::bigint, "
      "sum(failed)::bigint, sum(retried)::bigint, sum(cancelled)::bigint FROM run_stats_minute "
      "WHERE project_id = $1 AND minute >= $2 GROUP BY bucket ORDER BY bucket",
      project_id, first_minute, bucket_minutes);
  std::vector<RunStatsBucket> buckets;
  for (int row = 0; row < r.rows(); ++row) {
    buckets.push_back({r.Int64(row, 0), r.Int64(row, 1), r.Int64(row, 2), r.Int64(row, 3),
                       r.Int64(row, 4), r.Int64(row, 5)});
  }
  return buckets;
}

RunStatsBucket PgUsageStore::SumRunStats(const std::string& project_id, int64_t first_minute) {
  pg::PgResult r = session_.db.Exec(
      "SELECT coalesce(sum(created), 0)::bigint, coalesce(sum(succeeded), 0)::bigint, "
      "coalesce(sum(failed), 0)::bigint, coalesce(sum(retried), 0)::bigint, "
      "coalesce(sum(cancelled), 0)::bigint FROM run_stats_minute "
      "WHERE project_id = $1 AND minute >= $2",
      project_id, first_minute);
  return {first_minute, r.Int64(0, 0), r.Int64(0, 1), r.Int64(0, 2), r.Int64(0, 3), r.Int64(0, 4)};
}

std::vector<QueueCount> PgUsageStore::ReadQueueCounts(const std::string& project_id) {
  pg::PgResult r = session_.db.Exec(
      "SELECT queue, state, sum(current)::bigint, sum(entered)::bigint FROM queue_counts "
      "WHERE project_id = $1 GROUP BY queue, state ORDER BY queue, state",
      project_id);
  std::vector<QueueCount> counts;
  for (int row = 0; row < r.rows(); ++row) {
    counts.push_back({r.Text(row, 0), QueueStateAt(r, row, 1), r.Int64(row, 2), r.Int64(row, 3)});
  }
  return counts;
}

int64_t PgUsageStore::ReadActiveJobs(const std::string& project_id) {
  pg::PgResult r = session_.db.Exec(
      "SELECT coalesce(sum(active_jobs), 0)::bigint FROM project_counts WHERE project_id = $1",
      project_id);
  return r.Int64(0, 0);
}

void PgUsageStore::AddWebhookDelivery(const std::string& project_id, TimePoint at) {
  session_.db.Exec(
      "INSERT INTO usage_daily AS u (project_id, day, slot, webhook_deliveries) "
      "VALUES ($1, $2, flare_counter_slot(), 1) ON CONFLICT (project_id, day, slot) "
      "DO UPDATE SET webhook_deliveries = u.webhook_deliveries + 1",
      project_id, ToMillis(at) / kMsPerDay);
}

int PgUsageStore::PruneRunStats(int64_t first_minute) {
  // Every slot's row of an old minute goes: the count is of rows, as in SQLite.
  pg::PgResult r = session_.db.Exec("DELETE FROM run_stats_minute WHERE minute < $1", first_minute);
  return static_cast<int>(r.affected_rows());
}

void PgUsageStore::ForEachFinishedRun(TimePoint since,
                                      const std::function<void(const FinishedRunTimes&)>& visit) {
  // Keyset pages on rowid, which never changes, so no run is visited twice even when it moves
  // between pages. trace.total_ms counts when it is a number, truncated as SQLite reads a
  // number as an integer; any other value is no latency (NULL).
  constexpr const char* kPageSql =
      "SELECT rowid, project_id, ready_at, started_at, completed_at, duration_ms, "
      "CASE WHEN is_http = 1 AND jsonb_typeof(trace::jsonb -> 'total_ms') = 'number' "
      "THEN trunc((trace::jsonb ->> 'total_ms')::numeric)::bigint END FROM runs "
      "WHERE state IN ($2, $3, $4) AND completed_at >= $1 AND rowid > $5 "
      "ORDER BY rowid LIMIT $6";
  FinishedRunTimes run;
  int64_t after_rowid = 0;
  for (;;) {
    pg::PgResult r = session_.db.Exec(kPageSql, ToMillis(since), ToString(RunState::kSucceeded),
                                      ToString(RunState::kDeadLetter), ToString(RunState::kFailed),
                                      after_rowid, kFinishedRunsPage);
    for (int row = 0; row < r.rows(); ++row) {
      run.project_id = r.Text(row, 1);
      run.ready_at = OptTimeAt(r, row, 2);
      run.started_at = OptTimeAt(r, row, 3);
      run.completed_at = OptTimeAt(r, row, 4);
      run.duration_ms = OptInt64At(r, row, 5);
      run.http_total_ms = OptInt64At(r, row, 6);
      visit(run);
    }
    if (r.rows() < kFinishedRunsPage) return;
    after_rowid = r.Int64(r.rows() - 1, 0);
  }
}

}  // namespace flare::daemon::postgres

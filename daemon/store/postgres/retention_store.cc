#include "daemon/store/postgres/retention_store.h"

#include "daemon/store/postgres/columns.h"

namespace flare::daemon::postgres {
// Helpers live in a namespace named after the file: the sources of a target are compiled in
// unity batches, where another store's anonymous helpers would share this file's scope.
namespace retention_sql {
namespace {

/// The states as a PostgreSQL text[] literal; their spellings are plain words, so quoting
/// each is all the escaping they need.
std::string StateArray(std::initializer_list<RunState> states) {
  std::string literal = "{";
  for (RunState state : states) {
    if (literal.size() > 1) literal += ',';
    literal += '"';
    literal += StateText(state);
    literal += '"';
  }
  literal += '}';
  return literal;
}

int DeleteChunk(Session& session, const std::string& sql, const std::string& key, int limit) {
  return static_cast<int>(session.db.Exec(sql, key, limit).affected_rows());
}

}  // namespace
}  // namespace retention_sql

std::vector<FinishedRun> PgRetentionStore::FinishedRunsBefore(
    std::initializer_list<RunState> states, TimePoint cutoff, int limit) {
  // The candidates are each state's oldest runs, one range of runs_finished per state (a
  // state list would make PostgreSQL read every match and sort). Of them, the oldest `limit`
  // are claimed (SKIP LOCKED), so two nodes pruning at once take different runs, and only the
  // runs handed out are held: locking inside each state's range would hold up to `limit`
  // runs of every state and leave a second node nothing to do.
  std::string sql =
      "SELECT r.id, r.job_id FROM runs r WHERE r.rowid IN (SELECT oldest.rowid FROM "
      "unnest($1::text[]) AS s(state) CROSS JOIN LATERAL (SELECT rowid FROM runs "
      "WHERE runs.state = s.state AND completed_at < $2 ORDER BY completed_at LIMIT $3) oldest) "
      "ORDER BY r.completed_at, r.rowid LIMIT $3";
  sql += session_.claim();
  pg::PgResult r = session_.db.Exec(sql, retention_sql::StateArray(states), Millis(cutoff), limit);
  std::vector<FinishedRun> runs;
  runs.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) runs.push_back({TextAt(r, row, 0), TextAt(r, row, 1)});
  return runs;
}

int PgRetentionStore::DeleteEventsOfRun(const std::string& run_id, int limit) {
  // Claimed chunks: two nodes pruning the same run delete different events instead of one
  // waiting for the other and then finding its chunk gone (which would read as "done").
  return retention_sql::DeleteChunk(
      session_,
      std::string("DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE run_id = $1 "
                  "LIMIT $2") +
          session_.claim() + ")",
      run_id, limit);
}

int PgRetentionStore::DeleteEventsOfJob(const std::string& job_id, int limit) {
  return retention_sql::DeleteChunk(
      session_,
      std::string("DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE job_id = $1 "
                  "LIMIT $2") +
          session_.claim() + ")",
      job_id, limit);
}

void PgRetentionStore::DeleteRun(const std::string& run_id) {
  session_.db.Exec("DELETE FROM runs WHERE id = $1", run_id);
}

void PgRetentionStore::DeleteJobAndRuns(const std::string& job_id) {
  // Both deletes in one statement (one round trip); the count triggers fire for each row.
  session_.db.Exec(
      "WITH runs_gone AS (DELETE FROM runs WHERE job_id = $1) DELETE FROM jobs WHERE id = $1",
      job_id);
}

OptTime PgRetentionStore::OldestFinished(std::initializer_list<RunState> states) {
  // One index probe per state (MIN over an equality prefix of runs_finished), in one
  // statement; an aggregate takes no locks.
  return OptTimeAt(
      session_.db.Exec(
          "SELECT MIN(oldest) FROM unnest($1::text[]) AS s(state) CROSS JOIN LATERAL "
          "(SELECT MIN(completed_at) AS oldest FROM runs WHERE runs.state = s.state AND "
          "completed_at IS NOT NULL) per_state",
          retention_sql::StateArray(states)),
      0, 0);
}

}  // namespace flare::daemon::postgres

#include "daemon/store/postgres/worker_store.h"

#include "daemon/store/postgres/columns.h"

namespace flare::daemon::postgres {
// The unity build compiles this file in one batch with the other stores: a named namespace
// keeps its helpers apart from theirs, the inner anonymous one keeps them internal.
namespace workers_sql {
namespace {

// Held runs are counted from the processing runs (the runs_leased partial index), which the
// text names as the SQLite store does.
static_assert(ToString(RunState::kProcessing) == "processing");

#define PG_WORKER_SELECT                                                           \
  "SELECT w.project_id, w.worker_id, w.queues, w.job_types, w.registered_at, "     \
  "w.last_seen_at, (SELECT COUNT(*) FROM runs r WHERE r.state = 'processing' AND " \
  "r.project_id = w.project_id AND r.worker_id = w.worker_id) AS held FROM workers w "

// A worker's row as registered ($1-$6), and the start of what a known one's row gets.
constexpr std::string_view kRegister =
    "INSERT INTO workers AS w (project_id, worker_id, queues, job_types, registered_at, "
    "last_seen_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id, worker_id) DO "
    "UPDATE SET ";

std::vector<pg::PgParam> RegisterValues(const WorkerRecord& w) {
  return {pg::PgParam(w.project_id),
          pg::PgParam(w.worker_id),
          pg::PgParam(nlohmann::json(w.queues).dump()),
          pg::PgParam(nlohmann::json(w.job_types).dump()),
          pg::PgParam(Millis(w.registered_at)),
          pg::PgParam(Millis(w.last_seen_at))};
}

// A JSON array of names (queues, job types) as stored; anything else in it is ignored.
std::vector<std::string> NamesAt(const pg::PgResult& rows, int row, int column) {
  nlohmann::json parsed = JsonAt(rows, row, column);
  std::vector<std::string> names;
  if (!parsed.is_array()) return names;
  for (const auto& item : parsed) {
    if (item.is_string()) names.push_back(item.get<std::string>());
  }
  return names;
}

// The rows of PG_WORKER_SELECT.
std::vector<WorkerRecord> ReadWorkers(const pg::PgResult& rows) {
  std::vector<WorkerRecord> workers;
  workers.reserve(rows.rows());
  for (int row = 0; row < rows.rows(); ++row) {
    WorkerRecord w;
    w.project_id = TextAt(rows, row, 0);
    w.worker_id = TextAt(rows, row, 1);
    w.queues = NamesAt(rows, row, 2);
    w.job_types = NamesAt(rows, row, 3);
    w.registered_at = TimeAt(rows, row, 4);
    w.last_seen_at = TimeAt(rows, row, 5);
    w.runs_held = static_cast<int>(rows.Int64(row, 6));
    workers.push_back(std::move(w));
  }
  return workers;
}

}  // namespace
}  // namespace workers_sql

void PgWorkerStore::Upsert(const WorkerRecord& w) {
  session_.db.ExecParams(std::string(workers_sql::kRegister) +
                             "queues = excluded.queues, job_types = excluded.job_types, "
                             "last_seen_at = excluded.last_seen_at",
                         workers_sql::RegisterValues(w));
}

// Written only when the recorded time is a resolution or more older, so a late heartbeat
// never moves it back, and a worker polling and acking back to back writes no row version
// per call. Deferred (Session::Write): in a write transaction this costs no round trip.
void PgWorkerStore::Touch(const std::string& project_id, const std::string& worker_id,
                          TimePoint now) {
  session_.Write(
      "UPDATE workers SET last_seen_at = $3 WHERE project_id = $1 AND worker_id = $2 "
      "AND last_seen_at <= $4",
      project_id, worker_id, Millis(now), Millis(now - kWorkerSeenResolution));
}

// The same rule in one statement that also registers: the row's lock is taken either way
// (ON CONFLICT), as the UPDATE this replaced took it.
void PgWorkerStore::TouchOrRegister(const WorkerRecord& w) {
  std::vector<pg::PgParam> values = workers_sql::RegisterValues(w);
  values.emplace_back(Millis(w.last_seen_at - kWorkerSeenResolution));
  session_.WriteParams(std::string(workers_sql::kRegister) +
                           "last_seen_at = excluded.last_seen_at WHERE w.last_seen_at <= $7",
                       std::move(values));
}

// The queries below only read workers (the timer changes their runs, which RunStore::HeldBy
// claims), so they lock nothing.
std::vector<WorkerRecord> PgWorkerStore::List(const std::string& project_id) {
  return workers_sql::ReadWorkers(session_.db.Exec(
      PG_WORKER_SELECT "WHERE w.project_id = $1 ORDER BY w.last_seen_at DESC", project_id));
}

std::vector<WorkerRecord> PgWorkerStore::SilentHoldingRuns(TimePoint cutoff) {
  return workers_sql::ReadWorkers(
      session_.db.Exec(PG_WORKER_SELECT
                       "WHERE w.last_seen_at < $1 AND EXISTS (SELECT 1 FROM runs r "
                       "WHERE r.state = 'processing' AND r.project_id = "
                       "w.project_id AND r.worker_id = w.worker_id)",
                       Millis(cutoff)));
}

// From the processing runs (as many as there are claims) to their workers, not from every
// worker to its project's runs.
OptTime PgWorkerStore::OldestBusySeen() {
  return OptTimeAt(
      session_.db.Exec(
          "SELECT MIN(w.last_seen_at) FROM "
          "(SELECT DISTINCT project_id, worker_id FROM runs "
          " WHERE state = 'processing' AND is_http = 0) r "
          "JOIN workers w ON w.project_id = r.project_id AND w.worker_id = r.worker_id"),
      0, 0);
}

#undef PG_WORKER_SELECT

}  // namespace flare::daemon::postgres

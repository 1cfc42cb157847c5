#include "daemon/store/worker_repository.h"

#include "daemon/store/columns.h"

namespace flare::daemon {
namespace {

std::vector<std::string> ReadList(SQLite::Statement& st, int index) {
  auto parsed = ColJson(st, index);
  std::vector<std::string> out;
  if (parsed.is_array()) {
    for (const auto& item : parsed) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

std::vector<WorkerRecord> ReadWorkers(SQLite::Statement& st) {
  std::vector<WorkerRecord> workers;
  while (st.executeStep()) {
    WorkerRecord w;
    w.project_id = ColText(st, 0);
    w.worker_id = ColText(st, 1);
    w.queues = ReadList(st, 2);
    w.job_types = ReadList(st, 3);
    w.registered_at = ColTimeRequired(st, 4);
    w.last_seen_at = ColTimeRequired(st, 5);
    w.runs_held = st.getColumn(6).getInt();
    workers.push_back(std::move(w));
  }
  return workers;
}

// Runs held by a worker are found through the runs_leased partial index, which SQLite uses
// only when the statement's text says state = 'processing' (a bound value does not count).
static_assert(ToString(RunState::kProcessing) == "processing");

#define WORKER_SELECT                                                              \
  "SELECT w.project_id, w.worker_id, w.queues, w.job_types, w.registered_at, "     \
  "w.last_seen_at, (SELECT COUNT(*) FROM runs r WHERE r.state = 'processing' AND " \
  "r.project_id = w.project_id AND r.worker_id = w.worker_id) AS held FROM workers w "

}  // namespace

void UpsertWorker(Connection& c, const WorkerRecord& w) {
  auto& st = c.Prepare(
      "INSERT INTO workers (project_id, worker_id, queues, job_types, registered_at, "
      "last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (project_id, worker_id) DO "
      "UPDATE SET queues = excluded.queues, job_types = excluded.job_types, "
      "last_seen_at = excluded.last_seen_at");
  st.bind(1, w.project_id);
  st.bind(2, w.worker_id);
  st.bind(3, nlohmann::json(w.queues).dump());
  st.bind(4, nlohmann::json(w.job_types).dump());
  BindTime(st, 5, w.registered_at);
  BindTime(st, 6, w.last_seen_at);
  st.exec();
}

bool TouchWorker(Connection& c, const std::string& project_id, const std::string& worker_id,
                 TimePoint now) {
  // Read first: a worker polling and acking back to back was written (a WAL page) on every
  // call. Seen in the last second, it is left as it is (WorkerStore::Touch).
  auto& seen =
      c.Prepare("SELECT last_seen_at FROM workers WHERE project_id = ?1 AND worker_id = ?2");
  seen.bind(1, project_id);
  seen.bind(2, worker_id);
  if (!seen.executeStep()) return false;
  const int64_t last_seen_ms = seen.getColumn(0).getInt64();
  seen.reset();
  if (ToMillis(now) - last_seen_ms < kWorkerSeenResolution.count()) return true;
  auto& st = c.Prepare(
      "UPDATE workers SET last_seen_at = MAX(last_seen_at, ?3) WHERE project_id = ?1 AND "
      "worker_id = ?2");
  st.bind(1, project_id);
  st.bind(2, worker_id);
  BindTime(st, 3, now);
  return st.exec() > 0;
}

std::vector<WorkerRecord> ListWorkers(Connection& c, const std::string& project_id) {
  auto& st = c.Prepare(WORKER_SELECT "WHERE w.project_id = ?1 ORDER BY w.last_seen_at DESC");
  st.bind(1, project_id);
  return ReadWorkers(st);
}

std::vector<WorkerRecord> SilentWorkersHoldingRuns(Connection& c, TimePoint cutoff) {
  auto& st = c.Prepare(WORKER_SELECT
                       "WHERE w.last_seen_at < ?1 AND EXISTS (SELECT 1 FROM runs r "
                       "WHERE r.state = 'processing' AND r.project_id = "
                       "w.project_id AND r.worker_id = w.worker_id)");
  BindTime(st, 1, cutoff);
  return ReadWorkers(st);
}

OptTime OldestBusyWorkerSeen(Connection& c) {
  // From the processing runs (the runs_leased index: as many as there are claims) to their
  // workers. Asked per worker instead, SQLite searched each worker's project through
  // runs_by_created: every run of the project, on the writer, at every timer pass (a 1M-run
  // store: creates waited ~0.3 s behind each pass).
  auto& st = c.Prepare(
      "SELECT MIN(w.last_seen_at) FROM "
      "(SELECT DISTINCT project_id, worker_id FROM runs INDEXED BY runs_leased "
      " WHERE state = 'processing' AND is_http = 0) r "
      "JOIN workers w ON w.project_id = r.project_id AND w.worker_id = r.worker_id");
  st.executeStep();
  return ColTime(st, 0);
}

}  // namespace flare::daemon

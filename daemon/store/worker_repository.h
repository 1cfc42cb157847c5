#pragma once
// SQL for registered workers.

#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/records.h"
#include "daemon/store/worker_store.h"

namespace flare::daemon {

/// Inserts or updates (queues, job types, last seen) a worker.
void UpsertWorker(Connection& c, const WorkerRecord& worker);
/// Marks the worker seen at `now`; false when it was never registered.
bool TouchWorker(Connection& c, const std::string& project_id, const std::string& worker_id,
                 TimePoint now);
std::vector<WorkerRecord> ListWorkers(Connection& c, const std::string& project_id);
/// Workers holding runs that were last seen before `cutoff`.
std::vector<WorkerRecord> SilentWorkersHoldingRuns(Connection& c, TimePoint cutoff);
/// The oldest last-seen time among workers that hold runs.
OptTime OldestBusyWorkerSeen(Connection& c);

/// The SQLite WorkerStore (stores.h): the functions above over one connection.
class SqliteWorkerStore final : public WorkerStore {
 public:
  explicit SqliteWorkerStore(Connection& c) : c_(c) {}
  void Upsert(const WorkerRecord& worker) override { UpsertWorker(c_, worker); }
  void Touch(const std::string& project_id, const std::string& worker_id, TimePoint now) override {
    TouchWorker(c_, project_id, worker_id, now);
  }
  void TouchOrRegister(const WorkerRecord& worker) override {
    if (!TouchWorker(c_, worker.project_id, worker.worker_id, worker.last_seen_at))
      UpsertWorker(c_, worker);
  }
  std::vector<WorkerRecord> List(const std::string& project_id) override {
    return ListWorkers(c_, project_id);
  }
  std::vector<WorkerRecord> SilentHoldingRuns(TimePoint cutoff) override {
    return SilentWorkersHoldingRuns(c_, cutoff);
  }
  OptTime OldestBusySeen() override { return OldestBusyWorkerSeen(c_); }

 private:
  Connection& c_;
};

}  // namespace flare::daemon

#pragma once
// The storage port for one resource: Registered workers (worker_repository.h).
// Services reach it through their transaction (Tx::workers()) or a read lease; each backend
// implements it (SQLite: SqliteWorkerStore in worker_repository.h).

#include <chrono>
#include <string>
#include <vector>

#include "daemon/store/records.h"

namespace flare::daemon {

/// How fresh a worker's last-seen time is kept: a call within this much of the recorded
/// time may leave it as it is (the silence limit is 90 s; `workers list` shows seconds).
inline constexpr std::chrono::milliseconds kWorkerSeenResolution{1000};

class WorkerStore {
 public:
  virtual ~WorkerStore() = default;
  /// Inserts or updates (queues, job types, last seen) a worker.
  virtual void Upsert(const WorkerRecord& worker) = 0;
  /// Marks the worker seen at `now` (to kWorkerSeenResolution); false when it was never
  /// registered.
  virtual bool Touch(const std::string& project_id, const std::string& worker_id,
                     TimePoint now) = 0;
  virtual std::vector<WorkerRecord> List(const std::string& project_id) = 0;
  /// Workers holding runs that were last seen before `cutoff`.
  virtual std::vector<WorkerRecord> SilentHoldingRuns(TimePoint cutoff) = 0;
  /// The oldest last-seen time among workers that hold runs.
  virtual OptTime OldestBusySeen() = 0;
};

}  // namespace flare::daemon

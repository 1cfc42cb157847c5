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
  /// Marks a registered worker seen at `now` (to kWorkerSeenResolution; never back in time);
  /// an unknown one stays unknown. Answers nothing, so a backend may send it with the
  /// transaction's next statement instead of waiting for it.
  virtual void Touch(const std::string& project_id, const std::string& worker_id,
                     TimePoint now) = 0;
  /// Registers `worker` (its queues, types and times) unless it is registered, and otherwise
  /// marks it seen at its last_seen_at as Touch does. Answers nothing either: a poll's
  /// transaction waits for no round trip of its own to learn whether its worker is known.
  virtual void TouchOrRegister(const WorkerRecord& worker) = 0;
  virtual std::vector<WorkerRecord> List(const std::string& project_id) = 0;
  /// Workers holding runs that were last seen before `cutoff`.
  virtual std::vector<WorkerRecord> SilentHoldingRuns(TimePoint cutoff) = 0;
  /// The oldest last-seen time among workers that hold runs.
  virtual OptTime OldestBusySeen() = 0;
};

}  // namespace flare::daemon

#pragma once
// The storage port for one resource: Registered workers (worker_repository.h).
// Services reach it through their transaction (Tx::workers()) or a read lease; each backend
// implements it (SQLite: SqliteWorkerStore in worker_repository.h).

#include "daemon/store/records.h"

namespace flare::daemon {

class WorkerStore {
 public:
  virtual ~WorkerStore() = default;
};

}  // namespace flare::daemon

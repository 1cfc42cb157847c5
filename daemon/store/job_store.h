#pragma once
// The storage port for one resource: Jobs and idempotency keys (job_repository.h).
// Services reach it through their transaction (Tx::jobs()) or a read lease; each backend
// implements it (SQLite: SqliteJobStore in job_repository.h).

#include "daemon/store/records.h"

namespace flare::daemon {

class JobStore {
 public:
  virtual ~JobStore() = default;
};

}  // namespace flare::daemon

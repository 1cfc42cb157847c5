#pragma once
// The storage port for one resource: Runs: the work queue, leases, the timer's queries
// (run_repository.h). Services reach it through their transaction (Tx::runs()) or a read lease;
// each backend implements it (SQLite: SqliteRunStore in run_repository.h).

#include "daemon/store/records.h"

namespace flare::daemon {

class RunStore {
 public:
  virtual ~RunStore() = default;
};

}  // namespace flare::daemon

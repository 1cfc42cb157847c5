#pragma once
// The storage port for one resource: Counters behind usage and metrics (usage_repository.h).
// Services reach it through their transaction (Tx::usage()) or a read lease; each backend
// implements it (SQLite: SqliteUsageStore in usage_repository.h).

#include "daemon/store/records.h"

namespace flare::daemon {

class UsageStore {
 public:
  virtual ~UsageStore() = default;
};

}  // namespace flare::daemon

#pragma once
// The storage port for one resource: Finding and deleting what retention prunes
// (retention_repository.h). Services reach it through their transaction (Tx::retention()) or a read
// lease; each backend implements it (SQLite: SqliteRetentionStore in retention_repository.h).

#include "daemon/store/records.h"

namespace flare::daemon {

class RetentionStore {
 public:
  virtual ~RetentionStore() = default;
};

}  // namespace flare::daemon

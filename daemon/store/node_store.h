#pragma once
// The storage port for one resource: The flared nodes that use the database (node_repository.h).
// Services reach it through their transaction (Tx::nodes()) or a read lease; each backend
// implements it (SQLite: SqliteNodeStore in node_repository.h).

#include "daemon/store/records.h"

namespace flare::daemon {

class NodeStore {
 public:
  virtual ~NodeStore() = default;
};

}  // namespace flare::daemon

#pragma once
// The storage port for one resource: The flared nodes that use the database (node_repository.h).
// Services reach it through their transaction (Tx::nodes()) or a read lease; each backend
// implements it (SQLite: SqliteNodeStore in node_repository.h).

#include <string>

#include "daemon/store/records.h"

namespace flare::daemon {

class NodeStore {
 public:
  virtual ~NodeStore() = default;
  /// Registers a node (or refreshes one of the same id) as alive since `node.started_at`.
  virtual void Insert(const NodeRecord& node) = 0;
  /// Marks the node seen at `now`; false when it is unknown or stopped.
  virtual bool Touch(const std::string& node_id, TimePoint now) = 0;
  /// Marks the node stopped at `now` (a clean shutdown).
  virtual void Stop(const std::string& node_id, TimePoint now) = 0;
  /// Marks every node but `self` stopped; the number marked. For a database that only one
  /// flared can open at a time (SQLite and its instance lock), where any other node is gone.
  virtual int StopOthers(const std::string& self, TimePoint now) = 0;
  /// Forgets stopped nodes that no processing HTTP run names any longer.
  virtual int DeleteStoppedIdle() = 0;
};

}  // namespace flare::daemon

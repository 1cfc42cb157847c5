#pragma once
// SQL for the flared nodes that use the database (schema.cc, "nodes"). The HTTP runs of a
// node found lost are read by run_repository.h (HttpRunsOfLostNodes).

#include <optional>
#include <string>

#include "daemon/store/connection.h"
#include "daemon/store/node_sql.h"
#include "daemon/store/node_store.h"
#include "daemon/store/records.h"

namespace flare::daemon {

/// Registers a node (or refreshes one of the same id) as alive since `node.started_at`.
void InsertNode(Connection& c, const NodeRecord& node);
/// Marks the node seen at `now`; false when it is unknown or stopped.
bool TouchNode(Connection& c, const std::string& node_id, TimePoint now);
/// Marks the node stopped at `now` (a clean shutdown).
void StopNode(Connection& c, const std::string& node_id, TimePoint now);
/// Marks every node but `self` stopped; the number marked. For a database that only one
/// flared can open at a time (SQLite and its instance lock), where any other node is gone.
int StopOtherNodes(Connection& c, const std::string& self, TimePoint now);
/// Forgets stopped nodes that no processing HTTP run names any longer.
int DeleteStoppedIdleNodes(Connection& c);
std::optional<NodeRecord> FindNode(Connection& c, const std::string& node_id);

/// The SQLite NodeStore (stores.h): the functions above over one connection.
class SqliteNodeStore final : public NodeStore {
 public:
  explicit SqliteNodeStore(Connection& c) : c_(c) {}
  void Insert(const NodeRecord& node) override { InsertNode(c_, node); }
  bool Touch(const std::string& node_id, TimePoint now) override {
    return TouchNode(c_, node_id, now);
  }
  void Stop(const std::string& node_id, TimePoint now) override { StopNode(c_, node_id, now); }
  int StopOthers(const std::string& self, TimePoint now) override {
    return StopOtherNodes(c_, self, now);
  }
  int DeleteStoppedIdle() override { return DeleteStoppedIdleNodes(c_); }

 private:
  Connection& c_;
};

}  // namespace flare::daemon

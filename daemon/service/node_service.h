#pragma once
// Who this flared is among the nodes that use the database, and its place in the "nodes"
// table. A processing HTTP run names the node performing its call; when that node stops or
// goes silent, a node that is alive fails the run with WORKER_LOST and retries it per policy
// (SPEC §8). Only a lost node's runs are taken: another node's calls in flight are left alone.
//
// With SQLite the database has one node: the instance lock keeps a second flared out, so at
// start every other node on record is gone, and none needs a heartbeat. Nodes that share a
// database (PostgreSQL) refresh their row every kNodeBeatInterval and are lost after
// kNodeSilenceLimit without one.

#include <chrono>
#include <string>

#include "common/result.h"
#include "daemon/service/context.h"

namespace flare::daemon {

constexpr std::chrono::seconds kNodeBeatInterval{5};
constexpr std::chrono::seconds kNodeSilenceLimit{3 * kNodeBeatInterval};

struct NodeIdentity {
  std::string id;  // NewId("node") at every start: a restarted flared is a new node
  bool shares_database = false;
  /// The node that ran on the same data dir before this one, if known: the data dir's
  /// instance lock proves it is gone, so its work need not wait for the silence limit.
  std::string predecessor;
};

class NodeService {
 public:
  NodeService(ServiceContext context, NodeIdentity node) : ctx_(context), node_(node) {}

  /// Registers this node as alive. Alone on the database, it marks every other node
  /// stopped, so their runs are taken over at once instead of after the silence limit;
  /// sharing it, only its predecessor on this data dir. Stopped nodes that hold no runs any
  /// more are forgotten.
  Status Join();
  /// A clean shutdown: the node's runs still processing are taken over at once.
  Status Leave();

  const NodeIdentity& node() const { return node_; }

 private:
  ServiceContext ctx_;
  NodeIdentity node_;
};

}  // namespace flare::daemon

#include "daemon/store/node_repository.h"

#include "daemon/store/columns.h"

namespace flare::daemon {

void InsertNode(Connection& c, const NodeRecord& node) {
  auto& st = c.Prepare(
      "INSERT INTO nodes (id, started_at, last_seen_at, stopped_at) VALUES (?1, ?2, ?3, NULL) "
      "ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at, stopped_at = NULL");
  st.bind(1, node.id);
  BindTime(st, 2, node.started_at);
  BindTime(st, 3, node.last_seen_at);
  st.exec();
}

bool TouchNode(Connection& c, const std::string& node_id, TimePoint now) {
  auto& st = c.Prepare("UPDATE nodes SET last_seen_at = ?2 WHERE id = ?1 AND stopped_at IS NULL");
  st.bind(1, node_id);
  BindTime(st, 2, now);
  return st.exec() > 0;
}

void StopNode(Connection& c, const std::string& node_id, TimePoint now) {
  auto& st = c.Prepare("UPDATE nodes SET stopped_at = ?2 WHERE id = ?1 AND stopped_at IS NULL");
  st.bind(1, node_id);
  BindTime(st, 2, now);
  st.exec();
}

int StopOtherNodes(Connection& c, const std::string& self, TimePoint now) {
  auto& st = c.Prepare("UPDATE nodes SET stopped_at = ?2 WHERE id <> ?1 AND stopped_at IS NULL");
  st.bind(1, self);
  BindTime(st, 2, now);
  return st.exec();
}

int DeleteStoppedIdleNodes(Connection& c) {
  auto& st = c.Prepare(
      "DELETE FROM nodes WHERE stopped_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM runs "
      "WHERE state = 'processing' AND is_http = 1 AND runs.node_id = nodes.id)");
  return st.exec();
}

std::optional<NodeRecord> FindNode(Connection& c, const std::string& node_id) {
  auto& st = c.Prepare("SELECT id, started_at, last_seen_at, stopped_at FROM nodes WHERE id = ?1");
  st.bind(1, node_id);
  if (!st.executeStep()) return std::nullopt;
  NodeRecord node;
  node.id = ColText(st, 0);
  node.started_at = ColTimeRequired(st, 1);
  node.last_seen_at = ColTimeRequired(st, 2);
  node.stopped_at = ColTime(st, 3);
  return node;
}

}  // namespace flare::daemon

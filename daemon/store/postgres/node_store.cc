#include "daemon/store/postgres/node_store.h"

#include "daemon/store/postgres/columns.h"

namespace flare::daemon::postgres {

void PgNodeStore::Insert(const NodeRecord& node) {
  // A node of the same id (a restart under a fixed id) is alive again: seen now, not stopped;
  // it keeps the started_at of its first registration, as SQLite's upsert does.
  session_.db.Exec(
      "INSERT INTO nodes (id, started_at, last_seen_at, stopped_at) VALUES ($1, $2, $3, NULL) "
      "ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at, stopped_at = NULL",
      node.id, Millis(node.started_at), Millis(node.last_seen_at));
}

bool PgNodeStore::Touch(const std::string& node_id, TimePoint now) {
  return session_.db
             .Exec("UPDATE nodes SET last_seen_at = $2 WHERE id = $1 AND stopped_at IS NULL",
                   node_id, Millis(now))
             .affected_rows() > 0;
}

void PgNodeStore::Stop(const std::string& node_id, TimePoint now) {
  session_.db.Exec("UPDATE nodes SET stopped_at = $2 WHERE id = $1 AND stopped_at IS NULL", node_id,
                   Millis(now));
}

int PgNodeStore::StopOthers(const std::string& self, TimePoint now) {
  return static_cast<int>(
      session_.db
          .Exec("UPDATE nodes SET stopped_at = $2 WHERE id <> $1 AND stopped_at IS NULL", self,
                Millis(now))
          .affected_rows());
}

int PgNodeStore::DeleteStoppedIdle() {
  return static_cast<int>(
      session_.db
          .Exec("DELETE FROM nodes WHERE stopped_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                "runs WHERE state = 'processing' AND is_http = 1 AND runs.node_id = nodes.id)")
          .affected_rows());
}

}  // namespace flare::daemon::postgres

#pragma once
// The one SQL rule for a lost node, shared by both backends (SQLite: node_repository.h,
// PostgreSQL: postgres/), so HTTP runs and delivery leases are taken over alike.

/// SQL text (a string literal, the same for every backend): true when the node named by the
/// column `holder` (e.g. "runs.node_id"; parameters as "?2" for SQLite, "$2" for PostgreSQL) is
/// lost as seen from the node bound at parameter `self`: none named, or another node that is
/// stopped, unknown, or not seen since the time bound at parameter `alive_since`. Held work (HTTP
/// runs, delivery leases) is taken over by this one rule.
#define FLARE_SQL_NODE_IS_LOST(holder, self, alive_since) \
  "(" holder " IS NULL OR (" holder " <> " self           \
  " AND NOT EXISTS (SELECT 1 FROM nodes n "               \
  "WHERE n.id = " holder " AND n.stopped_at IS NULL AND n.last_seen_at >= " alive_since "))) "

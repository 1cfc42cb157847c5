#pragma once
// For tests that set a database's schema version back to replay the steps after it: what
// those steps add must be taken back first where replaying it over itself would fail.

#include "daemon/store/connection.h"

namespace flare::daemon {

/// Takes back version 9 (schema.cc: the nodes that hold HTTP runs and delivery leases). Its
/// ALTER TABLE … ADD COLUMN cannot run twice.
inline void RewindNodesStep(Connection& c) {
  c.Exec("DROP INDEX runs_http_held");
  c.Exec("ALTER TABLE runs DROP COLUMN node_id");
  c.Exec("ALTER TABLE webhook_deliveries DROP COLUMN node_id");
  c.Exec("DROP TABLE nodes");
}

}  // namespace flare::daemon

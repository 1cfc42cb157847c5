// Schema migrations: a database written by an older flared is brought to the current
// version when flared opens it, with what the newer steps add.

#include "daemon/store/schema.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "daemon/store/connection.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unit/daemon/schema_rewind.h"

namespace flare::daemon {
namespace {

bool HasIndex(Connection& c, const std::string& name) {
  SQLite::Statement st(c.db(), "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1");
  st.bind(1, name);
  return st.executeStep();
}

bool HasColumn(Connection& c, const std::string& table, const std::string& column) {
  SQLite::Statement st(c.db(), "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2");
  st.bind(1, table);
  st.bind(2, column);
  return st.executeStep();
}

// A database as an older flared left it at `version`: the current schema, with `take_back`
// undoing what the later steps changed. Returns its path in `dir`.
std::string OldDatabase(const testing::TempDir& dir, int version,
                        const std::function<void(Connection&)>& take_back) {
  const std::string path = (dir / "old.db").string();
  Connection c(path, Durability::kNormal, Access::kReadWrite);
  MigrateSchema(c);
  take_back(c);
  c.Exec(("PRAGMA user_version = " + std::to_string(version)).c_str());
  return path;
}

TEST(Schema, ADatabaseAtVersionTwoGainsTheRetentionIndexes) {
  testing::TempDir dir;
  // What the flared of issues 1–5 left behind: version 2, no retention indexes.
  const std::string path = OldDatabase(dir, 2, [](Connection& c) {
    c.Exec("DROP INDEX events_by_run");
    c.Exec("DROP INDEX runs_finished");
    RewindNodesStep(c);
  });
  Connection c(path, Durability::kNormal, Access::kReadWrite);
  MigrateSchema(c);
  EXPECT_EQ(c.db().execAndGet("PRAGMA user_version").getInt(), CurrentSchemaVersion());
  EXPECT_TRUE(HasIndex(c, "events_by_run"));
  EXPECT_TRUE(HasIndex(c, "runs_finished"));
}

TEST(Schema, ADatabaseAtVersionEightGainsTheNodesThatHoldWork) {
  testing::TempDir dir;
  const std::string path = OldDatabase(dir, 8, RewindNodesStep);
  Connection c(path, Durability::kNormal, Access::kReadWrite);
  MigrateSchema(c);
  EXPECT_EQ(c.db().execAndGet("PRAGMA user_version").getInt(), CurrentSchemaVersion());
  EXPECT_TRUE(HasColumn(c, "runs", "node_id"));
  EXPECT_TRUE(HasColumn(c, "webhook_deliveries", "node_id"));
  EXPECT_TRUE(HasColumn(c, "nodes", "last_seen_at"));
  EXPECT_TRUE(HasIndex(c, "runs_http_held"));
}

// Whether `index`'s column `column` is kept in descending order.
bool Descending(Connection& c, const std::string& index, const std::string& column) {
  SQLite::Statement st(c.db(), "SELECT \"desc\" FROM pragma_index_xinfo(?1) WHERE name = ?2");
  st.bind(1, index);
  st.bind(2, column);
  EXPECT_TRUE(st.executeStep()) << index << " has no column " << column;
  return st.getColumn(0).getInt() == 1;
}

// SQLite's plan for `sql`, its steps' details joined by " | ".
std::string QueryPlan(Connection& c, const std::string& sql) {
  SQLite::Statement st(c.db(), "EXPLAIN QUERY PLAN " + sql);
  std::string plan;
  while (st.executeStep()) plan += st.getColumn(3).getString() + " | ";
  return plan;
}

TEST(Schema, ADatabaseAtVersionTenGetsCreationIndexesThatNewRowsAppendTo) {
  testing::TempDir dir;
  // Version 10 kept these two newest first (DESC), where each new row went in at the left.
  const std::string path = OldDatabase(dir, 10, [](Connection& c) {
    c.Exec("DROP INDEX jobs_by_created");
    c.Exec("CREATE INDEX jobs_by_created ON jobs(project_id, created_at DESC, id DESC)");
    c.Exec("DROP INDEX webhook_deliveries_by_webhook");
    c.Exec(
        "CREATE INDEX webhook_deliveries_by_webhook "
        "ON webhook_deliveries(webhook_id, created_at DESC, id DESC)");
  });
  Connection c(path, Durability::kNormal, Access::kReadWrite);
  MigrateSchema(c);
  EXPECT_EQ(c.db().execAndGet("PRAGMA user_version").getInt(), CurrentSchemaVersion());
  EXPECT_FALSE(Descending(c, "jobs_by_created", "created_at"));
  EXPECT_FALSE(Descending(c, "webhook_deliveries_by_webhook", "created_at"));
  // Newest-first pages still walk the index (backwards) and sort nothing.
  std::string plan = QueryPlan(c,
                               "SELECT id FROM jobs WHERE project_id = 'p' AND deleted_at IS NULL "
                               "AND (created_at, id) < (5, 'j') ORDER BY created_at DESC, id DESC "
                               "LIMIT 50");
  EXPECT_NE(plan.find("jobs_by_created"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  plan = QueryPlan(c,
                   "SELECT id FROM webhook_deliveries WHERE webhook_id = 'w' "
                   "ORDER BY created_at DESC, id DESC LIMIT 50");
  EXPECT_NE(plan.find("webhook_deliveries_by_webhook"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST(Schema, ANewDatabaseIsAtTheCurrentVersion) {
  testing::TempDir dir;
  Connection c((dir / "new.db").string(), Durability::kNormal, Access::kReadWrite);
  MigrateSchema(c);
  EXPECT_EQ(c.db().execAndGet("PRAGMA user_version").getInt(), CurrentSchemaVersion());
  EXPECT_GE(CurrentSchemaVersion(), 3);
}

}  // namespace
}  // namespace flare::daemon

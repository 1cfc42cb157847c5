// Schema migrations: a database written by an older flared is brought to the current
// version when flared opens it, with what the newer steps add.

#include "daemon/store/schema.h"

#include <gtest/gtest.h>

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

TEST(Schema, ADatabaseAtVersionTwoGainsTheRetentionIndexes) {
  testing::TempDir dir;
  const std::string path = (dir / "old.db").string();
  {
    // What the flared of issues 1–5 left behind: version 2, no retention indexes.
    Connection c(path, Durability::kNormal, Access::kReadWrite);
    MigrateSchema(c);
    c.Exec("DROP INDEX events_by_run");
    c.Exec("DROP INDEX runs_finished");
    RewindNodesStep(c);
    c.Exec("PRAGMA user_version = 2");
  }
  Connection c(path, Durability::kNormal, Access::kReadWrite);
  MigrateSchema(c);
  EXPECT_EQ(c.db().execAndGet("PRAGMA user_version").getInt(), CurrentSchemaVersion());
  EXPECT_TRUE(HasIndex(c, "events_by_run"));
  EXPECT_TRUE(HasIndex(c, "runs_finished"));
}

TEST(Schema, ADatabaseAtVersionEightGainsTheNodesThatHoldWork) {
  testing::TempDir dir;
  const std::string path = (dir / "old.db").string();
  {
    Connection c(path, Durability::kNormal, Access::kReadWrite);
    MigrateSchema(c);
    RewindNodesStep(c);
    c.Exec("PRAGMA user_version = 8");
  }
  Connection c(path, Durability::kNormal, Access::kReadWrite);
  MigrateSchema(c);
  EXPECT_EQ(c.db().execAndGet("PRAGMA user_version").getInt(), CurrentSchemaVersion());
  EXPECT_TRUE(HasColumn(c, "runs", "node_id"));
  EXPECT_TRUE(HasColumn(c, "webhook_deliveries", "node_id"));
  EXPECT_TRUE(HasColumn(c, "nodes", "last_seen_at"));
  EXPECT_TRUE(HasIndex(c, "runs_http_held"));
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

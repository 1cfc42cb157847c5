// flared's PostgreSQL schema (store/pg/schema.cc): it applies once, it has every table and
// column the SQLite schema has (so the typed records map onto both), and its triggers keep
// the same counters SQLite's triggers keep.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "daemon/store/connection.h"
#include "daemon/store/pg/error.h"
#include "daemon/store/pg/schema.h"
#include "daemon/store/schema.h"
#include "tests/testutil/pg_database.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon::pg {
namespace {

using Columns = std::map<std::string, std::set<std::string>>;  // table → column names

Columns SqliteColumns() {
  flare::testing::TempDir dir;
  daemon::Connection c((dir / "flare.db").string(), Durability::kNormal, Access::kReadWrite);
  MigrateSchema(c);
  Columns columns;
  SQLite::Statement st(c.db(),
                       "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
                       "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'");
  while (st.executeStep()) columns[st.getColumn(0).getString()].insert(st.getColumn(1).getString());
  return columns;
}

Columns PgColumns(Connection& connection) {
  Columns columns;
  PgResult rows = connection.Exec(
      "SELECT table_name, column_name FROM information_schema.columns "
      "WHERE table_schema = 'public' AND table_name <> 'schema_migrations'");
  for (int i = 0; i < rows.rows(); ++i) columns[rows.Text(i, 0)].insert(rows.Text(i, 1));
  return columns;
}

TEST(PgFlareSchema, AppliesOnceAndHasEveryTableAndColumnOfTheSqliteSchema) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  MigrationOutcome first = Migrate(connection, FlareSchema());
  EXPECT_EQ(first.version, FlareSchema().back().version);
  EXPECT_TRUE(Migrate(connection, FlareSchema()).applied.empty());
  Columns pg = PgColumns(connection);
  // PostgreSQL's counter rows are striped by session (schema.cc, kStripedCounters).
  for (const char* table : {"queue_counts", "run_stats_minute", "usage_daily", "project_counts"})
    EXPECT_EQ(pg[table].erase("slot"), 1u) << table;
  EXPECT_EQ(pg.erase("flare_settings"), 1u);  // what several nodes must agree on
  EXPECT_EQ(pg["events"].erase("xact"), 1u);  // positions in the log (store/event_store.h)
  EXPECT_EQ(pg, SqliteColumns());
}

// A claim and an ack each update their job's state, attempt and times, none of them
// indexed: on PostgreSQL such an update can stay on the row's page and leave every index
// of jobs alone ("HOT"), but only if the page has room for the new version. Jobs are
// inserted in groups that fill their pages, so the table keeps room on each.
TEST(PgFlareSchema, AJobsStateChangesStayOnItsPageAndLeaveItsIndexesAlone) {
  testing::TestDatabase db;
  Connection c(db.uri());
  Migrate(c, FlareSchema());
  constexpr int kJobs = 120;
  const std::string payload(200, 'p');  // the sizes of a typical job's row
  const std::string spec(250, 's');
  c.Exec("BEGIN");
  for (int i = 0; i < kJobs; ++i) {
    c.Exec(
        "INSERT INTO jobs (id, project_id, job_type, queue, payload, spec, is_http, enabled, "
        "version, state, attempt, max_attempts, created_at, updated_at) "
        "VALUES ($1, 'prj_1', 'email', 'default', $2, $3, 0, 1, 1, 'pending', 0, 3, $4, $4)",
        "job_" + std::to_string(i), payload, spec, int64_t{1'700'000'000'000} + i);
  }
  c.Exec("COMMIT");
  // Claims of 40 jobs a transaction (a worker's poll): the new versions of a page's rows
  // must fit beside the old ones until the commit, so only the room left on each page
  // counts (no pruning of earlier versions helps, whatever else runs in the cluster).
  constexpr int kPerTransaction = 40;
  for (int i = 0; i < kJobs; ++i) {
    if (i % kPerTransaction == 0) c.Exec("BEGIN");
    c.Exec(
        "UPDATE jobs SET state = 'processing', attempt = 1, started_at = $2, last_run_id = $3, "
        "updated_at = $2 WHERE id = $1",
        "job_" + std::to_string(i), int64_t{1'700'000'100'000} + i, "run_" + std::to_string(i));
    if (i % kPerTransaction == kPerTransaction - 1) c.Exec("COMMIT");
  }
  c.Exec("SELECT pg_stat_force_next_flush()");
  PgResult stats =
      c.Exec("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'jobs'");
  ASSERT_EQ(stats.rows(), 1);
  EXPECT_EQ(stats.Int64(0, 0), kJobs);
  EXPECT_GE(stats.Int64(0, 1), kJobs / 4)  // 55–60 here; 0–6 at fillfactor 100
      << "updates that had to write every index of jobs";
}

// A project's jobs and a webhook's deliveries are indexed by creation in ascending order, so
// that new rows append at the index's right end (a DESC index took each at its leftmost
// position, where a page split leaves two half-full pages); newest-first pages walk the
// same index backwards and sort nothing.
TEST(PgFlareSchema, NewestFirstPagesWalkCreationIndexesThatNewRowsAppendTo) {
  testing::TestDatabase db;
  Connection c(db.uri());
  Migrate(c, FlareSchema());
  for (const char* index : {"jobs_by_created", "webhook_deliveries_by_webhook"}) {
    PgResult def = c.Exec("SELECT indexdef FROM pg_indexes WHERE indexname = $1", index);
    ASSERT_EQ(def.rows(), 1) << index;
    EXPECT_EQ(def.Text(0, 0).find("DESC"), std::string::npos) << def.Text(0, 0);
  }
  // The tables are empty: without this, a sequential scan and a sort would be cheaper.
  c.Exec("SET enable_seqscan = off");
  auto plan = [&](const std::string& sql) {
    PgResult rows = c.Exec("EXPLAIN " + sql);
    std::string text;
    for (int i = 0; i < rows.rows(); ++i) text += rows.Text(i, 0) + "\n";
    return text;
  };
  std::string jobs = plan(
      "SELECT id FROM jobs WHERE project_id = 'p' AND deleted_at IS NULL "
      "AND (created_at, id) < (5, 'j') ORDER BY created_at DESC, id DESC LIMIT 50");
  EXPECT_NE(jobs.find("Scan Backward using jobs_by_created"), std::string::npos) << jobs;
  EXPECT_EQ(jobs.find("Sort"), std::string::npos) << jobs;
  std::string deliveries = plan(
      "SELECT id FROM webhook_deliveries WHERE webhook_id = 'w' "
      "ORDER BY created_at DESC, id DESC LIMIT 50");
  EXPECT_NE(deliveries.find("Scan Backward using webhook_deliveries_by_webhook"), std::string::npos)
      << deliveries;
  EXPECT_EQ(deliveries.find("Sort"), std::string::npos) << deliveries;
}

// Migrations 8 and 10 rebuild indexes online (migrations.h): from an older database they
// end with the same indexes as a new one, every one valid, no temporary name left.
TEST(PgFlareSchema, AnUpgradeRebuildsItsIndexesOnlineAndLeavesNoneInvalidOrRenamed) {
  testing::TestDatabase db;
  Connection c(db.uri());
  Migrate(c, FlareSchema().first(7));
  EXPECT_EQ(Migrate(c, FlareSchema()).version, FlareSchema().back().version);
  auto indexes = [&](Connection& on) {
    PgResult rows = on.Exec(
        "SELECT i.relname || (CASE WHEN x.indisvalid THEN '' ELSE ' INVALID' END)"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = 'public'");
    std::set<std::string> names;
    for (int i = 0; i < rows.rows(); ++i) names.insert(rows.Text(i, 0));
    return names;
  };
  testing::TestDatabase fresh_db;
  Connection fresh(fresh_db.uri());
  Migrate(fresh, FlareSchema());
  std::set<std::string> upgraded = indexes(c);
  EXPECT_EQ(upgraded, indexes(fresh));
  EXPECT_TRUE(upgraded.contains("jobs_due"));
  EXPECT_FALSE(upgraded.contains("jobs_by_next_run"));
  EXPECT_TRUE(upgraded.contains("jobs_by_created"));
}

TEST(PgFlareSchema, TriggersKeepTheCountersSqliteKeeps) {
  testing::TestDatabase db;
  Connection c(db.uri());
  Migrate(c, FlareSchema());
  c.ExecScript(
      "INSERT INTO project_counts VALUES ('prj_1', 1);"
      "INSERT INTO queue_counts VALUES ('prj_1', 'q', 'pending', 1, 1);"
      "INSERT INTO jobs (id, project_id, job_type, queue, payload, spec, is_http, enabled, "
      "  version, state, attempt, max_attempts, created_at, updated_at) "
      "  VALUES ('job_1', 'prj_1', 't', 'q', '{}', '{}', 0, 1, 1, 'pending', 0, 3, 0, 0);"
      "INSERT INTO runs (id, project_id, job_id, job_version, trigger, state, attempt, "
      "  max_attempts, timeout_seconds, queue, job_type, priority, is_http, created_at) "
      "  VALUES ('run_1', 'prj_1', 'job_1', 1, 'API', 'pending', 0, 3, 30, 'q', 't', 0, 0, 0);");
  auto active = [&] {
    return c.Exec("SELECT sum(active_jobs) FROM project_counts WHERE project_id = 'prj_1'")
        .Int64(0, 0);
  };
  c.Exec("UPDATE jobs SET enabled = 0 WHERE id = 'job_1'");  // paused: no longer active
  EXPECT_EQ(active(), 0);
  c.Exec("UPDATE jobs SET enabled = 0 WHERE id = 'job_1'");  // no change: no count
  EXPECT_EQ(active(), 0);
  c.Exec("UPDATE jobs SET enabled = 1 WHERE id = 'job_1'");
  EXPECT_EQ(active(), 1);
  c.Exec("DELETE FROM runs WHERE id = 'run_1'");
  EXPECT_EQ(c.Exec("SELECT sum(current) FROM queue_counts WHERE queue = 'q'").Int64(0, 0), 0);
  c.Exec("DELETE FROM jobs WHERE id = 'job_1'");
  EXPECT_EQ(active(), 0);
}

TEST(PgFlareSchema, AnEmailIsTakenWhateverItsCase) {
  testing::TestDatabase db;
  Connection c(db.uri());
  Migrate(c, FlareSchema());
  c.Exec("INSERT INTO users VALUES ('usr_1', 'prj_1', 'Ada@Example.com', 'Ada', 'h', 0)");
  try {
    c.Exec("INSERT INTO users VALUES ('usr_2', 'prj_2', 'ada@example.COM', 'Ada', 'h', 0)");
    ADD_FAILURE() << "a second account with the same address in another case was accepted";
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
  }
}

}  // namespace
}  // namespace flare::daemon::pg

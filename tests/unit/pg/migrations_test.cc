// Versioned migrations: each applied exactly once, also when several processes start at
// once, and a database migrated by a newer binary is refused.

#include "daemon/store/pg/migrations.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "daemon/store/pg/error.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::pg {
namespace {

// Each migration appends its version to `ran`, which migration 1 creates: a migration that
// ran twice shows as two rows (and a CREATE TABLE run twice would fail outright).
const Migration kAll[] = {
    {1, "ran log", "CREATE TABLE ran (version bigint NOT NULL); INSERT INTO ran VALUES (1);"},
    {2, "items", "CREATE TABLE items (id bigint PRIMARY KEY); INSERT INTO ran VALUES (2);"},
    {5, "items name", "ALTER TABLE items ADD COLUMN name text; INSERT INTO ran VALUES (5);"},
};

// kAll and an online migration (migrations.h): an index built concurrently.
constexpr std::string_view kItemsByName[] = {
    "DROP INDEX CONCURRENTLY IF EXISTS items_by_name",
    "CREATE INDEX CONCURRENTLY items_by_name ON items(name)",
    "INSERT INTO ran VALUES (7)",
};
const Migration kWithOnline[] = {kAll[0], kAll[1], kAll[2], {7, "items by name", "", kItemsByName}};

int64_t TimesRan(Connection& connection, int64_t version) {
  return connection.Exec("SELECT count(*) FROM ran WHERE version = $1", version).Int64(0, 0);
}

bool IndexIsValid(Connection& connection, const std::string& index) {
  return connection.Exec("SELECT indisvalid FROM pg_index WHERE indexrelid = $1::regclass", index)
      .Bool(0, 0);
}

struct MigratorsOutcome {
  int applied_total = 0;  // versions applied, summed over the migrators
  int errors = 0;         // migrators that threw
};

// `count` migrators, each on its own session, all at once, as nodes starting together.
MigratorsOutcome MigrateConcurrently(
    const testing::TestDatabase& db, std::span<const Migration> migrations, int count,
    const std::function<void(const MigrationOutcome&)>& check = {}) {
  std::atomic<int> applied_total{0}, errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&] {
      try {
        Connection connection(db.uri());
        MigrationOutcome outcome = Migrate(connection, migrations);
        applied_total += static_cast<int>(outcome.applied.size());
        if (check) check(outcome);
      } catch (const std::exception& error) {
        std::fprintf(stderr, "migrator failed: %s\n", error.what());
        ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return {applied_total.load(), errors.load()};
}

TEST(PgMigrations, AppliedInOrderOnceAndARerunChangesNothing) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  MigrationOutcome first = Migrate(connection, kAll);
  EXPECT_EQ(first.applied, (std::vector<int64_t>{1, 2, 5}));
  EXPECT_EQ(first.version, 5);
  MigrationOutcome again = Migrate(connection, kAll);
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(again.version, 5);
  for (int64_t version : {1, 2, 5}) EXPECT_EQ(TimesRan(connection, version), 1) << version;
  PgResult recorded = connection.Exec("SELECT version, name FROM schema_migrations ORDER BY 1");
  ASSERT_EQ(recorded.rows(), 3);
  EXPECT_EQ(recorded.Text(2, "name"), "items name");
}

TEST(PgMigrations, ANewerListAppliesOnlyWhatIsMissing) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  Migrate(connection, std::span(kAll, 2));
  MigrationOutcome later = Migrate(connection, kAll);
  EXPECT_EQ(later.applied, (std::vector<int64_t>{5}));
  EXPECT_EQ(TimesRan(connection, 1), 1);
}

TEST(PgMigrations, FourConcurrentMigratorsApplyEachVersionOnce) {
  testing::TestDatabase db;
  std::atomic<int> wrong_version{0};
  MigratorsOutcome outcome = MigrateConcurrently(db, kAll, 4, [&](const MigrationOutcome& one) {
    if (one.version != 5) ++wrong_version;
  });
  EXPECT_EQ(outcome.errors + wrong_version.load(), 0);
  EXPECT_EQ(outcome.applied_total, 3);
  Connection connection(db.uri());
  for (int64_t version : {1, 2, 5}) EXPECT_EQ(TimesRan(connection, version), 1) << version;
}

TEST(PgMigrations, FourConcurrentMigratorsApplyAnOnlineMigrationOnceWithoutADeadlock) {
  // A node waiting for the lock inside a statement would keep a snapshot that the online
  // build waits for: the two would deadlock.
  testing::TestDatabase db;
  MigratorsOutcome outcome = MigrateConcurrently(db, kWithOnline, 4);
  EXPECT_EQ(outcome.errors, 0);
  EXPECT_EQ(outcome.applied_total, 4);
  Connection connection(db.uri());
  EXPECT_EQ(TimesRan(connection, 7), 1);
  EXPECT_TRUE(IndexIsValid(connection, "items_by_name"));
}

// The reason for online steps: an index built inside the migration's transaction would hold
// its table until the commit, and every node's writes to it would wait.
TEST(PgMigrations, WritesGoOnWhileAnOnlineMigrationRuns) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  Migrate(connection, kAll);
  connection.Exec("INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 1000) AS g");
  constexpr std::string_view kSlowSteps[] = {
      "CREATE INDEX CONCURRENTLY items_by_name ON items(name)",
      "SELECT pg_sleep(2)",  // the rest of a long migration
  };
  const Migration slow[] = {kAll[0], kAll[1], kAll[2], {7, "slow", "", kSlowSteps}};
  std::atomic<bool> migrated{false};
  std::thread migrator([&] {
    try {
      Connection own(db.uri());
      Migrate(own, slow);
      migrated = true;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "migrator failed: %s\n", error.what());
    }
  });
  Connection writer(db.uri());
  bool sleeping = false;  // the migration has built its index and is in its last step
  for (int i = 0; i < 100 && !sleeping; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    sleeping = writer
                   .Exec(
                       "SELECT count(*) > 0 FROM pg_stat_activity"
                       " WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%'"
                       " AND state = 'active'")
                   .Bool(0, 0);
  }
  EXPECT_TRUE(sleeping);
  writer.Exec("SET lock_timeout = '500ms'");
  EXPECT_NO_THROW(writer.Exec("INSERT INTO items VALUES (1001, 'during')"));
  EXPECT_NO_THROW(writer.Exec("UPDATE items SET name = 'moved' WHERE id = 1"));
  migrator.join();
  EXPECT_TRUE(migrated.load());
  EXPECT_EQ(connection.Exec("SELECT max(version) FROM schema_migrations").Int64(0, 0), 7);
}

TEST(PgMigrations, AnOnlineMigrationThatFailsHalfWayRunsAgainWholeAtTheNextStart) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  constexpr std::string_view kFailingSteps[] = {
      "DROP INDEX CONCURRENTLY IF EXISTS items_by_name",
      "CREATE INDEX CONCURRENTLY items_by_name ON items(name)",
      "SELECT 1 / 0",
  };
  const Migration failing[] = {kAll[0], kAll[1], kAll[2], {7, "index", "", kFailingSteps}};
  EXPECT_THROW(Migrate(connection, failing), PgError);
  EXPECT_EQ(connection.Exec("SELECT max(version) FROM schema_migrations").Int64(0, 0), 5);
  // The lock went with the failed call: the next start is not kept waiting.
  EXPECT_TRUE(connection.Exec("SELECT pg_try_advisory_lock($1)", kMigrationLockKey).Bool(0, 0));
  connection.Exec("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
  MigrationOutcome next = Migrate(connection, kWithOnline);
  EXPECT_EQ(next.applied, (std::vector<int64_t>{7}));
  EXPECT_EQ(TimesRan(connection, 7), 1);
  EXPECT_TRUE(IndexIsValid(connection, "items_by_name"));
}

TEST(PgMigrations, ADatabaseAheadOfTheBinaryIsRefused) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  Migrate(connection, kAll);
  try {
    Migrate(connection, std::span(kAll, 2));  // an older flared: knows up to version 2
    FAIL() << "an older binary accepted a newer schema";
  } catch (const PgError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("version 5"), std::string::npos) << message;
    EXPECT_NE(message.find("newer flared"), std::string::npos) << message;
  }
}

TEST(PgMigrations, AFailingMigrationIsRolledBackAndTheOnesBeforeItStay) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  const Migration broken[] = {
      kAll[0],
      {2, "half done", "CREATE TABLE half (v int); SELECT * FROM no_such_table;"},
  };
  EXPECT_THROW(Migrate(connection, broken), PgError);
  EXPECT_EQ(connection.Exec("SELECT max(version) FROM schema_migrations").Int64(0, 0), 1);
  EXPECT_EQ(connection.Exec("SELECT to_regclass('half') IS NULL").Bool(0, 0), true);
}

TEST(PgMigrations, AListOutOfOrderIsRejectedBeforeTouchingTheDatabase) {
  testing::TestDatabase db;
  Connection connection(db.uri());
  const Migration unordered[] = {kAll[1], kAll[0]};
  EXPECT_THROW(Migrate(connection, unordered), std::invalid_argument);
  EXPECT_TRUE(connection.Exec("SELECT to_regclass('schema_migrations') IS NULL").Bool(0, 0));
}

}  // namespace
}  // namespace flare::daemon::pg

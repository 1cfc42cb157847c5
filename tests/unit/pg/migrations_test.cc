// Versioned migrations: each applied exactly once, also when several processes start at
// once, and a database migrated by a newer binary is refused.

#include "daemon/store/pg/migrations.h"

#include <gtest/gtest.h>

#include <atomic>
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

int64_t TimesRan(Connection& connection, int64_t version) {
  return connection.Exec("SELECT count(*) FROM ran WHERE version = $1", version).Int64(0, 0);
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
  constexpr int kMigrators = 4;
  std::atomic<int> applied_total{0}, errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&] {
      try {
        Connection connection(db.uri());
        MigrationOutcome outcome = Migrate(connection, kAll);
        applied_total += static_cast<int>(outcome.applied.size());
        if (outcome.version != 5) ++errors;
      } catch (const std::exception& error) {
        std::fprintf(stderr, "migrator failed: %s\n", error.what());
        ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(applied_total.load(), 3);
  Connection connection(db.uri());
  for (int64_t version : {1, 2, 5}) EXPECT_EQ(TimesRan(connection, version), 1) << version;
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

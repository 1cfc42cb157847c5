#include "daemon/store/pg/migrations.h"

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "daemon/log.h"
#include "daemon/store/pg/error.h"
#include "daemon/store/pg/transaction.h"

namespace flare::daemon::pg {
namespace {

// SQLSTATE for "the database is ahead of this binary": object_not_in_prerequisite_state.
constexpr const char* kSchemaAhead = "55000";

void CheckOrder(std::span<const Migration> migrations) {
  int64_t previous = 0;
  for (const Migration& migration : migrations) {
    if (migration.version <= previous) {
      throw std::invalid_argument("migration " + std::to_string(migration.version) + " (" +
                                  std::string(migration.name) + ") is not above the one before it");
    }
    previous = migration.version;
  }
}

// The applied versions, read under the lock. Refuses any this binary does not know.
std::set<int64_t> AppliedVersions(Connection& connection, std::span<const Migration> migrations) {
  std::set<int64_t> known;
  for (const Migration& migration : migrations) known.insert(migration.version);
  std::set<int64_t> applied;
  PgResult rows = connection.Exec("SELECT version FROM schema_migrations ORDER BY version");
  for (int row = 0; row < rows.rows(); ++row) {
    int64_t version = rows.Int64(row, 0);
    if (!known.contains(version)) {
      int64_t latest = migrations.empty() ? 0 : migrations.back().version;
      throw PgError(kSchemaAhead,
                    "the database has schema version " + std::to_string(version) +
                        ", which this flared does not know (it knows up to " +
                        std::to_string(latest) +
                        "): a newer flared migrated it; run that version or a newer one");
    }
    applied.insert(version);
  }
  return applied;
}

// Holds the migration lock for the session from construction to destruction.
class MigrationLock {
 public:
  explicit MigrationLock(Connection& connection) : connection_(connection) {
    auto next_note = std::chrono::steady_clock::now();
    while (!connection_.Exec("SELECT pg_try_advisory_lock($1)", kMigrationLockKey).Bool(0, 0)) {
      if (std::chrono::steady_clock::now() >= next_note) {
        LogInfo("waiting for another flared to finish migrating the database");
        next_note += std::chrono::seconds(10);
      }
      std::this_thread::sleep_for(kMigrationLockRetry);
    }
  }
  ~MigrationLock() {
    try {
      connection_.Exec("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
    } catch (const std::exception& error) {
      // The session is most likely gone, and its lock with it.
      LogWarn("could not release the migration lock", {{"error", error.what()}});
    }
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

 private:
  Connection& connection_;
};

void Record(Connection& connection, const Migration& migration) {
  connection.Exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                  migration.version, migration.name);
}

void Apply(Connection& connection, const Migration& migration) {
  if (migration.online_steps.empty()) {
    Transaction transaction(connection);
    connection.ExecScript(migration.sql);
    Record(connection, migration);
    transaction.Commit();
  } else {
    for (std::string_view step : migration.online_steps) connection.Exec(step);
    Record(connection, migration);
  }
  LogInfo("postgres migration applied", {{"version", migration.version}, {"name", migration.name}});
}

}  // namespace

MigrationOutcome Migrate(Connection& connection, std::span<const Migration> migrations) {
  CheckOrder(migrations);
  MigrationLock lock(connection);
  connection.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version bigint PRIMARY KEY,"
      " name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  std::set<int64_t> applied = AppliedVersions(connection, migrations);
  MigrationOutcome outcome;
  for (const Migration& migration : migrations) {
    if (applied.contains(migration.version)) continue;
    Apply(connection, migration);
    applied.insert(migration.version);
    outcome.applied.push_back(migration.version);
  }
  outcome.version = applied.empty() ? 0 : *applied.rbegin();
  return outcome;
}

}  // namespace flare::daemon::pg

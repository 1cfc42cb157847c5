#include "daemon/store/pg/migrations.h"

#include <set>
#include <stdexcept>
#include <string>

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

}  // namespace

MigrationOutcome Migrate(Connection& connection, std::span<const Migration> migrations) {
  CheckOrder(migrations);
  MigrationOutcome outcome;
  // One migration a pass, each pass one transaction holding the lock; a pass that finds
  // nothing left to apply ends the loop, so it runs at most migrations.size() + 1 times.
  for (size_t pass = 0; pass <= migrations.size(); ++pass) {
    Transaction transaction(connection);
    connection.Exec("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
    // Under the lock, so two first starts do not race to create it.
    connection.Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version bigint PRIMARY KEY,"
        " name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    std::set<int64_t> applied = AppliedVersions(connection, migrations);
    const Migration* next = nullptr;
    for (const Migration& migration : migrations) {
      if (!applied.contains(migration.version)) {
        next = &migration;
        break;
      }
    }
    if (!next) {
      transaction.Commit();
      outcome.version = applied.empty() ? 0 : *applied.rbegin();
      return outcome;
    }
    connection.ExecScript(next->sql);
    connection.Exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", next->version,
                    next->name);
    transaction.Commit();
    LogInfo("postgres migration applied", {{"version", next->version}, {"name", next->name}});
    outcome.applied.push_back(next->version);
  }
  throw std::logic_error("Migrate: more passes than migrations");  // unreachable
}

}  // namespace flare::daemon::pg

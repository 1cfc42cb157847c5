#pragma once
// Versioned schema changes. Each Migration has a version (increasing), a name and its SQL;
// Migrate applies those the database lacks, in order, each in its own transaction together
// with its row in `schema_migrations`, so a migration is either fully applied and recorded
// or not at all.
//
// Several flared nodes may start at once against one database: each transaction first
// takes pg_advisory_xact_lock(kMigrationLockKey) and only then reads what is applied, so
// the nodes queue on the lock and every migration runs exactly once. The lock is released
// by COMMIT/ROLLBACK, never left behind by a crashed node.
//
// A database that has a version this binary does not know (a newer flared migrated it) is
// refused: an old binary writing to a newer schema could corrupt it.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "daemon/store/pg/connection.h"

namespace flare::daemon::pg {

struct Migration {
  int64_t version;  // > 0, strictly increasing through the list
  std::string_view name;
  std::string_view sql;  // one or more statements; no BEGIN/COMMIT of its own
};

/// The advisory lock every migrating session takes (any constant unique to flare: "flare").
inline constexpr int64_t kMigrationLockKey = 0x666c617265;

struct MigrationOutcome {
  std::vector<int64_t> applied;  // versions this call applied, in order
  int64_t version = 0;           // the database's version afterwards
};

/// Applies the missing migrations. Throws PgError when one fails (it is rolled back and the
/// ones before it stay), when the database holds a version `migrations` lacks, and
/// std::invalid_argument when the list is not strictly increasing.
MigrationOutcome Migrate(Connection& connection, std::span<const Migration> migrations);

}  // namespace flare::daemon::pg

#pragma once
// Versioned schema changes. Each Migration has a version (increasing), a name and its SQL;
// Migrate applies those the database lacks, in order, each in its own transaction together
// with its row in `schema_migrations`, so a migration is either fully applied and recorded
// or not at all.
//
// A database that has a version this binary does not know (a newer flared migrated it) is
// refused: an old binary writing to a newer schema could corrupt it.
//
// Several flared nodes may start at once against one database: Migrate first holds
// pg_advisory_lock(kMigrationLockKey) for its session, so the nodes migrate one at a time
// and every migration runs exactly once. A node that finds the lock taken asks again every
// kMigrationLockRetry instead of waiting inside a statement: a waiting statement keeps a
// snapshot, which an online step (below) would wait for in turn, a deadlock. The lock ends
// with Migrate, or with the session of a node that died meanwhile.
//
// ONLINE migrations. An index rebuilt inside a transaction holds its table for the whole
// build (DROP INDEX even against reads): on a big table every node's requests would wait,
// which a rolling upgrade of several nodes must not do. Such a migration lists
// `online_steps` instead of `sql`: statements run one at a time outside any transaction
// (CREATE INDEX CONCURRENTLY and DROP INDEX CONCURRENTLY refuse to run inside one), and
// the migration is recorded after the last. A failure or a crash between steps leaves the
// earlier ones done and the migration unrecorded, so the next start runs the steps again
// from the first: each step must be safe to run again (IF EXISTS, and an index built
// under a temporary name first dropped, since an interrupted concurrent build leaves an
// invalid index behind).

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "daemon/store/pg/connection.h"

namespace flare::daemon::pg {

struct Migration {
  int64_t version;  // > 0, strictly increasing through the list
  std::string_view name;
  std::string_view sql;  // one or more statements, one transaction; no BEGIN/COMMIT of its own
  /// Instead of `sql`: statements run one by one outside a transaction (ONLINE above).
  std::span<const std::string_view> online_steps = {};
};

/// The advisory lock every migrating session takes (any constant unique to flare: "flare").
inline constexpr int64_t kMigrationLockKey = 0x666c617265;
/// How often a node that finds another one migrating asks for the lock again.
inline constexpr std::chrono::milliseconds kMigrationLockRetry{100};

struct MigrationOutcome {
  std::vector<int64_t> applied;  // versions this call applied, in order
  int64_t version = 0;           // the database's version afterwards
};

/// Applies the missing migrations. Throws PgError when one fails (it is rolled back and the
/// ones before it stay), when the database holds a version `migrations` lacks, and
/// std::invalid_argument when the list is not strictly increasing.
MigrationOutcome Migrate(Connection& connection, std::span<const Migration> migrations);

}  // namespace flare::daemon::pg

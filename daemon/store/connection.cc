#include "daemon/store/connection.h"

#include <sqlite3.h>

namespace flare::daemon {

void SetUpSqlite() {
  // SQLite keeps memory statistics unless told otherwise: each of its mallocs and frees
  // then takes a process-wide mutex and asks the allocator for the block's size. flared
  // reads none of them. Counted with callgrind on the writer thread (2,000 run_at HTTP jobs
  // created and run), they were 1.2 million lock/unlock pairs, ~6 % of its instructions.
  // Refused (SQLITE_MISUSE) once SQLite has initialized: the statistics then stay on, which
  // costs time, not correctness.
  static const int kSetUp = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kSetUp;
}

Connection::Connection(const std::string& path, Durability durability, Access access,
                       const char* vfs)
    // SetUpSqlite before the open, which initializes SQLite. NOMUTEX: a connection is only
    // ever used by one thread at a time (the writer thread, or a reader lease), so SQLite's
    // per-call locking is pure cost.
    : db_((SetUpSqlite(), path),
          (access == Access::kReadOnly ? SQLite::OPEN_READONLY
                                       : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) |
              SQLite::OPEN_NOMUTEX,
          0, vfs ? vfs : "") {
  db_.setBusyTimeout(kBusyTimeoutMs);
  if (access == Access::kReadWrite) db_.exec("PRAGMA journal_mode=WAL");
  // FULL fsyncs the WAL at every commit: a 2xx survives power loss. NORMAL survives a
  // process crash (kill -9) but may lose the last commits on power loss.
  db_.exec(durability == Durability::kFull ? "PRAGMA synchronous=FULL"
                                           : "PRAGMA synchronous=NORMAL");
  db_.exec("PRAGMA foreign_keys=OFF");
  db_.exec("PRAGMA temp_store=MEMORY");
  // The page cache is per connection and stays allocated while the connection lives: the
  // writer keeps the hot index pages of a large store (16 MiB), a reader (up to 17 of them
  // idle in the pool) 4 MiB and reads the rest from the OS page cache. 32 MiB each held
  // ~100 MiB of RSS on an idle 1M-job store (issue 8: ≤ 64 MiB).
  db_.exec(access == Access::kReadWrite ? "PRAGMA cache_size=-16384" : "PRAGMA cache_size=-4096");
  // Checkpoints run on the writer's connection; a larger threshold means fewer, bigger ones.
  // (The Writer replaces this automatic checkpoint with its own, see wal_checkpointer.h.)
  if (access == Access::kReadWrite) db_.exec("PRAGMA wal_autocheckpoint=4000");
}

namespace {

// A cached statement ready for new bindings; compiled on first use.
SQLite::Statement& Ready(std::unique_ptr<SQLite::Statement>& slot, SQLite::Database& db,
                         const char* sql) {
  if (!slot) {
    slot = std::make_unique<SQLite::Statement>(db, sql);
  } else {
    // tryReset: after a failed step, reset() would throw that old error again.
    slot->tryReset();
    slot->clearBindings();
  }
  return *slot;
}

}  // namespace

SQLite::Statement& Connection::Prepare(const char* sql) {
  return Ready(statements_[sql], db_, sql);
}

void Connection::ResetStatements() {
  // tryReset: it never throws (it only repeats the error of a failed last step). A slot is
  // empty when compiling its SQL threw: there is nothing to reset.
  for (auto& [sql, statement] : statements_)
    if (statement) statement->tryReset();
  for (auto& [sql, statement] : dynamic_statements_)
    if (statement) statement->tryReset();
}

SQLite::Statement& Connection::PrepareDynamic(const std::string& sql) {
  // Filter combinations are few in practice; the bound keeps a hostile mix from growing
  // the cache without end.
  if (dynamic_statements_.size() > 256) dynamic_statements_.clear();
  return Ready(dynamic_statements_[sql], db_, sql.c_str());
}

}  // namespace flare::daemon

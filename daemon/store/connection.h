#pragma once
// One SQLite connection with the pragmas flared relies on and a cache of prepared
// statements (compiling SQL costs more than running most of flared's statements).

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <memory>
#include <string>
#include <unordered_map>

namespace flare::daemon {

class CounterDeltas;

/// Process-wide SQLite settings. SQLite takes them only before it initializes, which its
/// first open or VFS lookup does: whatever comes first calls this. Idempotent.
void SetUpSqlite();

enum class Durability { kFull, kNormal };
enum class Access { kReadWrite, kReadOnly };

class Connection {
 public:
  /// How long a statement waits for a lock before SQLITE_BUSY (every connection).
  static constexpr int kBusyTimeoutMs = 10'000;

  /// `vfs`: a registered SQLite VFS by name, or null for the default.
  Connection(const std::string& path, Durability durability, Access access,
             const char* vfs = nullptr);

  /// A cached statement for `sql` (a string literal), reset and with bindings cleared.
  SQLite::Statement& Prepare(const char* sql);
  /// The same for SQL built at run time (filters, IN lists); cached by its text.
  SQLite::Statement& PrepareDynamic(const std::string& sql);
  /// Resets every cached statement. A statement left mid-result keeps its read transaction
  /// (and so its old snapshot) open and pins the WAL. The one place statements are reset:
  /// the writer calls this after every transaction, the reader pool when a lease ends.
  void ResetStatements();
  SQLite::Database& db() { return db_; }
  void Exec(const char* sql) { db_.exec(sql); }
  /// The open writer group's counter sums (counter_deltas.h), or null: then counters are
  /// written at once.
  CounterDeltas* deferred_counters() const { return deferred_counters_; }
  void set_deferred_counters(CounterDeltas* deltas) { deferred_counters_ = deltas; }

 private:
  SQLite::Database db_;
  CounterDeltas* deferred_counters_ = nullptr;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> dynamic_statements_;
};

}  // namespace flare::daemon

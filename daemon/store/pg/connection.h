#pragma once
// One PostgreSQL session over libpq, owned: the PGconn is closed when the Connection dies.
// Statements go through PQexecPrepared (prepared once per session, see prepared_) with text
// parameters, so values never become SQL text (no quoting, no injection). Errors are thrown
// as PgError with the server's SQLSTATE.
//
// LISTEN/NOTIFY wake-ups (flared nodes waking each other) wait on the session's socket with
// poll(2) and read what arrived with PQconsumeInput: the waiting thread sleeps in the kernel
// until the server sends something or the timeout passes, it never polls in a loop.
//
// Deferred statements (Defer): a write transaction's INSERTs and UPDATEs whose answer nobody
// reads wait on the client and travel with the next statement that needs an answer (a read,
// the COMMIT) in one round trip, through libpq's pipeline mode. The server runs them in the
// order they were issued, so what a transaction reads still sees its own earlier writes; an
// error of a deferred statement is thrown by the Exec that sent it (the transaction is then
// rolled back as on any failed statement). On a 2-core machine most of a short statement's
// cost is the round trip (two wake-ups, four syscalls), not its execution. Single-row
// writes queued into one table are sent as one multi-row statement (write_merging.h).
//
// Secrets: the URI may hold a password (or libpq takes one from PGPASSWORD/PGPASSFILE).
// Nothing this class throws or returns contains it: libpq's own messages name host, port,
// user and database only, and connection errors are scrubbed of the URI's userinfo anyway.
//
// Not thread-safe: one thread uses a Connection at a time (the Pool hands them out).

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "daemon/store/pg/result.h"
#include "daemon/store/pg/statement.h"
#include "daemon/store/pg/write_merging.h"

namespace flare::daemon::pg {

/// A NOTIFY received on a channel this session LISTENs to.
struct Notification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;  // the backend that sent it (our own when we notified ourselves)
};

class Connection {
 public:
  /// Bounds the TCP connect and the authentication exchange unless the URI sets its own.
  static constexpr std::chrono::seconds kDefaultConnectTimeout{10};

  /// Connects (blocking, bounded by the connect timeout) to a libpq URI or key=value
  /// string, and turns synchronous_commit on for the session: a COMMIT that returned must
  /// survive a server crash, whatever the server's configuration says. Throws PgError.
  explicit Connection(const std::string& uri,
                      std::chrono::seconds connect_timeout = kDefaultConnectTimeout);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one statement with $1, $2, … bound to `params`. Throws PgError on any failure.
  template <typename... Params>
  PgResult Exec(std::string_view sql, Params&&... params) {
    std::vector<PgParam> bound{PgParam(std::forward<Params>(params))...};
    return ExecParams(sql, bound);
  }
  PgResult ExecParams(std::string_view sql, const std::vector<PgParam>& params);
  /// Several statements separated by semicolons, no parameters (a migration's script).
  void ExecScript(std::string_view sql);

  /// Queues one statement whose answer the caller does not read; it is sent with the next
  /// Exec (or FlushDeferred), before that statement. Meant for statements inside a
  /// transaction: a rollback drops what is still queued (DropDeferred).
  template <typename... Params>
  void Defer(std::string_view sql, Params&&... params) {
    DeferParams(sql, std::vector<PgParam>{PgParam(std::forward<Params>(params))...});
  }
  void DeferParams(std::string_view sql, std::vector<PgParam> params);
  /// Sends the queued statements now, in one round trip. Throws the first one's failure.
  void FlushDeferred();
  /// Forgets the queued statements unsent (their transaction is being rolled back).
  void DropDeferred() { deferred_.clear(); }
  bool HasDeferred() const { return !deferred_.empty(); }

  /// LISTEN to `channel` (quoted as an identifier, any text is safe).
  void Listen(std::string_view channel);
  /// pg_notify(channel, payload): delivered to listeners when the surrounding transaction
  /// commits (at once outside a transaction), never if it rolls back.
  void Notify(std::string_view channel, std::string_view payload);
  /// The next notification for a channel this session listens to, or nullopt when none
  /// arrives within `timeout` or `interrupt_fd` (when given) becomes readable: another
  /// thread's way to end the wait at once. Throws PgError when the connection is lost.
  std::optional<Notification> WaitForNotification(std::chrono::milliseconds timeout,
                                                  int interrupt_fd = -1);

  /// True once libpq has seen the session end (a network error, pg_terminate_backend). Also
  /// reads whatever the server already sent, so a session the server closed while this one
  /// sat idle is noticed here, without a round trip.
  bool IsBroken();
  /// Whether a transaction is open (or failed and not yet rolled back) on this session.
  bool InTransaction() const;
  /// The server process serving this session (pg_stat_activity.pid).
  int BackendPid() const { return PQbackendPID(conn_.get()); }
  /// "host:port/database" for logs; never the user's password.
  std::string Describe() const;

 private:
  // The result checked: throws PgError unless it is a success.
  PgResult Checked(PGresult* result, std::string_view what);
  // Runs one statement alone: the plain request/answer exchange.
  PgResult ExecAlone(const std::string& sql, const std::vector<PgParam>& params);
  // Sends the deferred statements and then `last` (when given) in one pipeline and returns
  // the last one's result; throws the first failure, after reading every answer.
  std::optional<PgResult> ExecPipelined(const Statement* last);
  // A table's column types (for merged UPDATEs), read once per session; null if unknown.
  const ColumnTypes* ColumnTypesOf(const std::string& table);
  // Queues one statement of a pipeline (libpq's send, no wait).
  void SendInPipeline(const Statement& statement);
  // The name `sql` is prepared under on this session (preparing it the first time), or null
  // when the cache is full and it should run unprepared.
  const std::string* PreparedName(const std::string& sql, int params);
  std::optional<Notification> NextQueuedNotification();

  struct Finish {
    void operator()(PGconn* conn) const { PQfinish(conn); }
  };
  std::unique_ptr<PGconn, Finish> conn_;
  // Statements prepared on this session, by their SQL: parsed and planned by the server
  // once per session instead of at every execution (most of a short statement's cost).
  static constexpr size_t kMaxPreparedStatements = 1024;
  std::unordered_map<std::string, std::string> prepared_;
  // Statements queued by Defer; bounded, so that a long batch does not hold them all.
  static constexpr size_t kMaxDeferred = 512;
  std::vector<Statement> deferred_;
  std::unordered_map<std::string, ColumnTypes> column_types_;
};

}  // namespace flare::daemon::pg

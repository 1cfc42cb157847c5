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

namespace flare::daemon::pg {

/// One parameter of Exec, sent as text; std::nullopt (or an empty optional) is SQL NULL.
class PgParam {
 public:
  PgParam(std::nullopt_t) {}
  PgParam(std::string text) : text_(std::move(text)) {}
  PgParam(std::string_view text) : text_(std::string(text)) {}
  PgParam(const char* text) : text_(std::string(text)) {}
  PgParam(bool value) : text_(value ? "t" : "f") {}
  template <typename Integer, typename = std::enable_if_t<std::is_integral_v<Integer> &&
                                                          !std::is_same_v<Integer, bool>>>
  PgParam(Integer value) : text_(std::to_string(value)) {}
  template <typename T>
  PgParam(const std::optional<T>& value) {
    if (value) text_ = PgParam(*value).text_;
  }

  /// The text libpq sends, or null for SQL NULL.
  const char* c_str() const { return text_ ? text_->c_str() : nullptr; }

 private:
  std::optional<std::string> text_;
};

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
};

}  // namespace flare::daemon::pg

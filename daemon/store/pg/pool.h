#pragma once
// A bounded set of PostgreSQL sessions shared by flared's threads. Every server session is
// a process on the database host, so the pool caps how many flared opens (`limit`): past
// it, Acquire waits on a condition variable (never spins) until a lease ends or its timeout
// passes. Sessions are opened lazily, outside the lock (a connect takes a round trip or
// more), and kept for reuse. A session found broken (the server restarted, an admin
// terminated it) is dropped and a fresh one opened in its place on the next Acquire, so
// one failover does not poison the pool.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/pg/connection.h"

namespace flare::daemon::pg {

class Pool {
 public:
  Pool(std::string uri, size_t limit,
       std::chrono::seconds connect_timeout = Connection::kDefaultConnectTimeout);
  /// Every lease must have ended before the pool is destroyed.
  ~Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// A session for the caller alone; it goes back to the pool when the lease dies.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (connection_) pool_->Return(std::move(connection_));
    }
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    friend class Pool;
    Lease(Pool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Pool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  /// Waits up to `timeout` for a session; nullopt when all `limit` stay leased that long.
  /// Throws PgError when a new session cannot be opened.
  std::optional<Lease> Acquire(std::chrono::milliseconds timeout);

  size_t limit() const { return limit_; }
  /// Sessions open now, leased or idle (never above limit()).
  size_t open() const;

 private:
  void Return(std::unique_ptr<Connection> connection);

  const std::string uri_;
  const size_t limit_;
  const std::chrono::seconds connect_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_ = 0;  // leased + idle + being opened: what counts against limit_
};

}  // namespace flare::daemon::pg

#include "daemon/store/pg/pool.h"

#include "daemon/log.h"

namespace flare::daemon::pg {

Pool::Pool(std::string uri, size_t limit, std::chrono::seconds connect_timeout)
    : uri_(std::move(uri)), limit_(limit), connect_timeout_(connect_timeout) {}

std::optional<Pool::Lease> Pool::Acquire(std::chrono::milliseconds timeout) {
  std::unique_ptr<Connection> reusable;
  {
    std::unique_lock lock(mutex_);
    // Bounded by the deadline: wait_until returns false once it passes.
    auto deadline = std::chrono::steady_clock::now() + timeout;
    if (!returned_.wait_until(lock, deadline, [&] { return !idle_.empty() || open_ < limit_; })) {
      return std::nullopt;
    }
    if (!idle_.empty()) {
      reusable = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // reserve the slot before connecting, outside the lock
    }
  }
  if (reusable) {
    if (!reusable->IsBroken()) return Lease(this, std::move(reusable));
    // Dropped; its slot goes to the fresh session opened below.
    LogInfo("postgres session lost, reconnecting", {{"server", reusable->Describe()}});
    reusable.reset();
  }
  try {
    return Lease(this, std::make_unique<Connection>(uri_, connect_timeout_));
  } catch (...) {
    std::lock_guard lock(mutex_);
    --open_;
    returned_.notify_one();
    throw;
  }
}

void Pool::Return(std::unique_ptr<Connection> connection) {
  // A session left inside a transaction (a lease dropped mid-way without a Transaction
  // object) would hand its open transaction to the next user: close it instead.
  // Statements still queued (Defer) belong to such a lease too.
  bool keep = !connection->IsBroken() && !connection->InTransaction() && !connection->HasDeferred();
  if (!keep) connection.reset();
  std::lock_guard lock(mutex_);
  if (keep) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
  returned_.notify_one();
}

size_t Pool::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace flare::daemon::pg

#include "daemon/store/reader_pool.h"

namespace flare::daemon {
namespace {
// Idle connections kept beyond this are closed: a burst of readers should not pin
// dozens of page caches forever.
constexpr size_t kMaxIdle = 16;
}  // namespace

ReaderPool::ReaderPool(std::string path, Durability durability)
    : path_(std::move(path)), durability_(durability) {}

std::unique_ptr<Connection> ReaderPool::TakeConnection() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  return std::make_unique<Connection>(path_, durability_, Access::kReadOnly);
}

ReadLease ReaderPool::Acquire() { return std::make_unique<Lease>(*this, TakeConnection()); }

ReaderPool::Lease ReaderPool::Borrow() { return Lease(*this, TakeConnection()); }

void ReaderPool::Return(std::unique_ptr<Connection> connection) {
  if (!connection) return;
  // Without this, a lookup that stopped after its first row would pin the snapshot it read,
  // and the next request on this connection would not see later commits.
  connection->ResetStatements();
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(connection));
}

}  // namespace flare::daemon

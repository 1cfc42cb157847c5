#include "daemon/executor/client_pool.h"

#include <algorithm>

namespace flare::daemon {

std::unique_ptr<PooledClient> ClientPool::Acquire(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Newest first: the most recently used connection is the likeliest still open.
  for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
    if (it->first == key) {
      std::unique_ptr<PooledClient> client = std::move(it->second);
      idle_.erase(std::next(it).base());
      return client;
    }
  }
  return nullptr;
}

void ClientPool::Release(const std::string& key, std::unique_ptr<PooledClient> client) {
  std::unique_ptr<PooledClient> evicted;  // closed outside the lock
  std::lock_guard<std::mutex> lock(mutex_);
  size_t same_key = std::count_if(idle_.begin(), idle_.end(),
                                  [&](const auto& entry) { return entry.first == key; });
  if (same_key >= kMaxIdlePerKey) return;  // `client` closes here
  idle_.emplace_back(key, std::move(client));
  if (idle_.size() > kMaxIdle) {
    evicted = std::move(idle_.front().second);
    idle_.pop_front();
  }
}

}  // namespace flare::daemon

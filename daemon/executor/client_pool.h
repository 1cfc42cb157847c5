#pragma once
// Idle cpp-httplib clients kept for reuse, keyed by everything that makes a
// connection what it is: scheme, host, port, pinned address and TLS settings.
// A client is taken out while in use, so no two calls share one.

#include <httplib.h>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace flare::daemon {

/// What the transport can observe of one connection: when a socket was made
/// and when it was ready to carry the request (TLS handshake done, or the
/// request body started). Reset before every request.
struct ConnectionProbe {
  using Instant = std::chrono::steady_clock::time_point;
  std::optional<Instant> socket_created;
  std::optional<Instant> ready;

  void Reset() {
    socket_created.reset();
    ready.reset();
  }
  void MarkReady() {
    if (!ready) ready = std::chrono::steady_clock::now();
  }
};

struct PooledClient {
  std::unique_ptr<httplib::ClientImpl> client;
  httplib::SSLClient* tls = nullptr;  // the same object when https, else null
  std::unique_ptr<ConnectionProbe> probe = std::make_unique<ConnectionProbe>();
};

class ClientPool {
 public:
  /// An idle client for `key`, or null.
  std::unique_ptr<PooledClient> Acquire(const std::string& key);
  /// Gives a client back; the oldest idle clients are closed beyond the limits.
  void Release(const std::string& key, std::unique_ptr<PooledClient> client);

 private:
  // Per key, enough for every executor thread at the default and a doubled
  // --executor-concurrency (64, 128) to keep its connection to one busy origin: with
  // fewer, all but that many calls in a burst to one origin close their connection and
  // the next ones connect again.
  static constexpr size_t kMaxIdle = 256;
  static constexpr size_t kMaxIdlePerKey = 128;

  std::mutex mutex_;
  std::deque<std::pair<std::string, std::unique_ptr<PooledClient>>> idle_;  // oldest first
};

}  // namespace flare::daemon

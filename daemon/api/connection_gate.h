#pragma once
// Holds connections that are idle or still sending a request head, on one epoll thread, so
// they take no pool thread. cpp-httplib would give each connection a thread for its whole
// life; then slow clients (one header byte every few seconds) or idle keep-alive
// connections could hold every thread before any of them authenticated. A connection goes
// to `on_ready` only once its whole head ("\r\n\r\n") is in, and comes back (Add) between
// requests. Deadlines: an idle connection is closed after `idle`, a head must be complete
// within `head` of its first byte, and a head larger than `max_head_bytes` is refused.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace flare::daemon {

struct PendingConnection {
  int fd = -1;
  std::string buffered;                              // bytes received and not yet parsed
  std::chrono::steady_clock::time_point first_byte;  // when this request's first byte came
};

/// True when `buffered` holds a whole request head ("\r\n\r\n"); bytes before
/// `searched_from` were already searched (minus 3, for a terminator split across reads).
bool HeadComplete(const std::string& buffered, size_t searched_from);
/// Ends both directions of a connection's socket, then closes it.
void CloseSocket(int fd);

struct GateLimits {
  std::chrono::milliseconds idle{5000};
  std::chrono::milliseconds head{10000};
  size_t max_head_bytes = 64 * 1024;
  std::chrono::milliseconds linger{2000};
};

class ConnectionGate {
 public:
  using Ready = std::function<void(PendingConnection)>;

  ConnectionGate(GateLimits limits, Ready on_ready);
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  /// Takes a new or returning connection; closes it when the gate is stopped.
  void Add(PendingConnection connection);
  /// Sends `reply` (best effort, never blocks), then closes `fd` once the client has
  /// stopped sending (or `linger` passed), so the client reads the reply instead of a reset.
  void Refuse(int fd, const std::string& reply);
  /// Closes every connection it holds; later ones are closed at once. Idempotent.
  void Stop();

 private:
  struct Held {
    PendingConnection connection;
    std::chrono::steady_clock::time_point deadline;
    bool started = false;   // a byte of the head arrived
    bool draining = false;  // refused: read and drop until EOF or the deadline
  };

  /// Hands `held` to the gate thread (or closes it once the gate is stopped).
  void Enqueue(Held held);
  void Loop();
  void TakeIncoming();
  void Watch(Held held);
  void OnReadable(int fd);
  void CloseExpired();
  void Forget(int fd);

  const GateLimits limits_;
  const Ready on_ready_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;

  std::mutex mutex_;  // guards incoming_ and stopped_
  std::vector<Held> incoming_;
  bool stopped_ = false;

  std::unordered_map<int, Held> held_;  // gate thread only
  std::chrono::steady_clock::time_point next_sweep_;
};

}  // namespace flare::daemon

#pragma once
// Wake-ups across flared nodes. Each node keeps one session that LISTENs to flare's
// channels and hands every NOTIFY to a callback (which, like an after-commit action, only
// hands off: it wakes a parked poll, the executor, the scheduler). A NOTIFY sent inside a
// transaction is delivered when it commits and never if it rolls back, so a wake-up always
// follows the write it announces.
//
// Notifications sent while the session is down are lost, so after every (re)connection,
// and every `safety_interval` besides, `on_resync` runs: the engines re-read what is ready
// instead of trusting that nothing happened. A lost session is reconnected with a backoff
// that doubles up to `reconnect_max`. The thread sleeps in poll(2) on the session's socket
// and an eventfd that Stop writes, so it never polls in a loop and Stop returns at once.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/store/pg/connection.h"

namespace flare::daemon::pg {

struct ListenerOptions {
  std::string uri;
  std::vector<std::string> channels;
  std::chrono::milliseconds safety_interval{5000};
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
};

class Listener {
 public:
  using OnNotification = std::function<void(const Notification&)>;
  using OnResync = std::function<void()>;

  Listener(ListenerOptions options, OnNotification on_notification, OnResync on_resync);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  /// Starts the listening thread; it connects (and calls on_resync) on its own.
  void Start();
  /// Ends the wait and joins the thread; no callback runs after it returns.
  void Stop();

  /// The server process of the current session, 0 while disconnected (for tests).
  int backend_pid() const { return backend_pid_.load(); }
  /// Sessions opened so far, the first included.
  int connections() const { return connections_.load(); }

 private:
  void Loop();
  // Sleeps up to `delay`, or less when Stop is called; false when stopping.
  bool SleepUnlessStopped(std::chrono::milliseconds delay);

  ListenerOptions options_;
  OnNotification on_notification_;
  OnResync on_resync_;
  int stop_fd_ = -1;  // an eventfd: readable once Stop was called
  std::atomic<bool> stopping_{false};
  std::atomic<int> backend_pid_{0};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

}  // namespace flare::daemon::pg

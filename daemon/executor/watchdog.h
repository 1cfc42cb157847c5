#pragma once
// One thread that fires deadlines: the transport arms one per call so a call
// ends at its timeout even when the server drips bytes to defeat per-read
// timeouts.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace flare::daemon {

class Watchdog {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  /// Calls `fire` once at `deadline` unless disarmed first. Returns a ticket.
  uint64_t Arm(Deadline deadline, std::function<void()> fire);
  /// After this returns, the ticket's `fire` is not running and never will.
  void Disarm(uint64_t ticket);

 private:
  void Loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<Deadline, std::pair<uint64_t, std::function<void()>>> armed_;
  uint64_t next_ticket_ = 1;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace flare::daemon

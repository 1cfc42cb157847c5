#pragma once
// The timer thread. It sleeps on a condition variable until the earliest due time it knows
// of, or until a commit tells it (WakeAt) that something is due earlier. When it wakes it
// asks TimerService to move everything due, learns the next due time from the same
// transaction, and sleeps again. Nothing due → it sleeps until woken: no polling.
// Retention rides on the same thread: it wakes when the oldest terminal run expires; so do
// the hourly chores (pruning the per-minute run counters past what metrics keep).

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "daemon/service/retention_service.h"
#include "daemon/service/timer_service.h"

namespace flare::daemon {

class Scheduler {
 public:
  /// `hourly` runs on this thread once at Start, then once an hour.
  Scheduler(TimerService& timer, RetentionService& retention,
            std::function<void()> hourly = nullptr);
  ~Scheduler();

  void Start();
  /// Something is due at `t`; wake then at the latest.
  void WakeAt(TimePoint t);
  void Stop();

 private:
  void Loop();
  void RunTimer(std::unique_lock<std::mutex>& lock);
  void RunRetention(std::unique_lock<std::mutex>& lock);
  void RunHourly(std::unique_lock<std::mutex>& lock);

  TimerService& timer_;
  RetentionService& retention_;
  OptTime next_prune_;
  std::function<void()> hourly_;
  OptTime next_hourly_;
  std::mutex mutex_;
  std::condition_variable wake_;
  OptTime next_wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace flare::daemon

#pragma once
// The timer thread. It sleeps on a condition variable until the earliest due time it knows
// of, or until a commit tells it (WakeAt) that something is due earlier. When it wakes it
// asks TimerService to move everything due, learns the next due time from the same
// transaction, and sleeps again. Nothing due → it sleeps until woken: no polling.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "daemon/service/timer_service.h"

namespace flare::daemon {

class Scheduler {
 public:
  explicit Scheduler(TimerService& timer);
  ~Scheduler();

  void Start();
  /// Something is due at `t`; wake then at the latest.
  void WakeAt(TimePoint t);
  void Stop();

 private:
  void Loop();

  TimerService& timer_;
  std::mutex mutex_;
  std::condition_variable wake_;
  OptTime next_wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace flare::daemon

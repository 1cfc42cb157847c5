#pragma once
// The timer thread. Each turn of its loop asks the Clock for "now" and calls RunDue, which
// runs whatever is due then and says when the next thing is due; the loop then sleeps on a
// condition variable for that long, or until a commit tells it (WakeAt) that something is
// due earlier. The distance (due - now) comes from the Clock, so a test's fake clock far
// from the wall clock neither spins the loop nor stalls it; the wait itself ends at a
// wall-clock instant, so a machine that slept past the due time fires at once on waking;
// and one wait lasts at most a day, so a due time centuries away cannot overflow it.
// Nothing due → it sleeps until woken: no polling. The decision lives in RunDue, apart from
// the waiting, so tests drive it with a fake clock and scripted services, without the
// thread and without sleeping.
//
// Three things ride on the thread, each with its own due time:
// - the timer (TimerService::ProcessDue moves everything due and learns the next due time
//   from the same transaction; a batch limit hit → again at once; an error → again in 1 s);
// - retention (RetentionService::PruneSlice; it is due when the oldest terminal run
//   expires, with a 50 ms pause between slices that leaves the writer to the API; an error
//   → again in a minute);
// - the hourly chores (pruning the per-minute run counters past what metrics keep).
// All three are due at once when the scheduler is made: work may be overdue after a restart.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "daemon/service/retention_service.h"
#include "daemon/service/timer_service.h"

namespace flare::daemon {

class Scheduler {
 public:
  /// `hourly` runs on this thread at the first pass, then once an hour of `clock`.
  Scheduler(const Clock& clock, DueProcessor& timer, RetentionPruner& retention,
            std::function<void()> hourly = nullptr);
  ~Scheduler();

  /// Starts the thread; its first pass runs everything (all is due at construction).
  void Start();
  /// Something is due at `t`; wake then at the latest.
  void WakeAt(TimePoint t);
  void Stop();

  /// One pass of the loop without its wait: runs whatever is due at `now` and returns the
  /// next instant something is due (none: nothing until a WakeAt). The thread calls it;
  /// tests call it instead of Start, never both.
  OptTime RunDue(TimePoint now);

 private:
  void Loop();
  OptTime RunDueLocked(std::unique_lock<std::mutex>& lock, TimePoint now);
  OptTime NextDueLocked() const;
  void RunTimer(std::unique_lock<std::mutex>& lock);
  void RunRetention(std::unique_lock<std::mutex>& lock);
  void RunHourly(std::unique_lock<std::mutex>& lock, TimePoint now);

  const Clock& clock_;
  DueProcessor& timer_;
  RetentionPruner& retention_;
  std::function<void()> hourly_;
  std::mutex mutex_;
  std::condition_variable wake_;
  OptTime next_wake_;  // the timer's
  OptTime next_prune_;
  OptTime next_hourly_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace flare::daemon

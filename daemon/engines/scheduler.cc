#include "daemon/engines/scheduler.h"

#include <algorithm>

#include "common/thread_name.h"
#include "daemon/log.h"

namespace flare::daemon {

namespace {

constexpr auto kHour = std::chrono::hours(1);
constexpr auto kTimerRetry = std::chrono::seconds(1);
constexpr auto kRetentionRetry = std::chrono::minutes(1);
constexpr auto kPauseBetweenSlices = std::chrono::milliseconds(50);
// The longest single wait. A due time centuries away (a run_at in year 9999) would overflow
// the wait's nanoseconds and return at once, spinning; a wait cut short just looks again.
constexpr auto kLongestWait = std::chrono::hours(24);

}  // namespace

Scheduler::Scheduler(const Clock& clock, DueProcessor& timer, RetentionPruner& retention,
                     std::function<void()> hourly)
    : clock_(clock),
      timer_(timer),
      retention_(retention),
      hourly_(std::move(hourly)),
      // Everything is due at once: work may be overdue after a restart.
      next_wake_(FromMillis(0)),
      next_prune_(FromMillis(0)),
      next_hourly_(hourly_ ? OptTime(FromMillis(0)) : std::nullopt) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  thread_ = NamedThread("scheduler", [this] { Loop(); });
}

void Scheduler::WakeAt(TimePoint t) {
  {
    std::lock_guard lock(mutex_);
    if (next_wake_ && *next_wake_ <= t) return;
    next_wake_ = t;
  }
  wake_.notify_one();
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

OptTime Scheduler::RunDue(TimePoint now) {
  std::unique_lock lock(mutex_);
  return RunDueLocked(lock, now);
}

void Scheduler::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // The lock is held from the pass's last look at the due times to the wait, so a WakeAt
    // in between is seen here or notifies the wait: no wake is lost.
    OptTime due = RunDueLocked(lock, clock_.Now());
    if (stopping_) break;
    if (!due) {
      wake_.wait(lock);
      continue;
    }
    // The distance comes from the seam's clock (a test's may be far from the wall clock);
    // the wait ends at a wall-clock instant, not after a monotonic duration, because the
    // monotonic clock stands still while the machine sleeps: a laptop that resumes after
    // the due time fires at once instead of a whole sleep late. Woken early (WakeAt, Stop,
    // spuriously): the next pass runs nothing not yet due.
    if (TimePoint now = clock_.Now(); now < *due) {
      auto distance = std::min<std::chrono::milliseconds>(*due - now, kLongestWait);
      wake_.wait_until(lock, std::chrono::system_clock::now() + distance);
    }
  }
}

OptTime Scheduler::RunDueLocked(std::unique_lock<std::mutex>& lock, TimePoint now) {
  if (next_wake_ && *next_wake_ <= now) RunTimer(lock);
  if (next_prune_ && *next_prune_ <= now) RunRetention(lock);
  if (next_hourly_ && *next_hourly_ <= now) RunHourly(lock, now);
  return NextDueLocked();
}

OptTime Scheduler::NextDueLocked() const {
  return Earliest(Earliest(next_wake_, next_prune_), next_hourly_);
}

void Scheduler::RunTimer(std::unique_lock<std::mutex>& lock) {
  // Cleared before the pass: a WakeAt during it is kept and runs after it.
  next_wake_.reset();
  lock.unlock();
  auto outcome = timer_.ProcessDue();
  lock.lock();
  OptTime next;
  if (!outcome) {
    LogError("timer pass failed", {{"error", outcome.error().message}});
    // The database refused: retry, don't spin. Counted from the pass's end, which may
    // have taken long.
    next = clock_.Now() + kTimerRetry;
  } else {
    next = outcome->more ? OptTime(FromMillis(0)) : outcome->next_due;
  }
  next_wake_ = Earliest(next_wake_, next);
}

void Scheduler::RunRetention(std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  auto outcome = retention_.PruneSlice();
  lock.lock();
  // Pauses count from the slice's end, so a slow slice still leaves the writer a gap.
  if (!outcome) {
    LogError("retention pass failed", {{"error", outcome.error().message}});
    next_prune_ = clock_.Now() + kRetentionRetry;
    return;
  }
  if (outcome->runs_deleted > 0) {
    LogInfo("retention",
            {{"runs_deleted", outcome->runs_deleted}, {"jobs_deleted", outcome->jobs_deleted}});
  }
  // Between slices, a short pause leaves the writer to the API.
  next_prune_ = outcome->more ? OptTime(clock_.Now() + kPauseBetweenSlices) : outcome->next_due;
}

void Scheduler::RunHourly(std::unique_lock<std::mutex>& lock, TimePoint now) {
  next_hourly_ = now + kHour;
  lock.unlock();
  hourly_();
  lock.lock();
}

}  // namespace flare::daemon

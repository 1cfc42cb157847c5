#include "daemon/engines/scheduler.h"

#include "daemon/log.h"

namespace flare::daemon {

namespace {

constexpr auto kHour = std::chrono::hours(1);

TimePoint WallNow() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace

Scheduler::Scheduler(TimerService& timer, RetentionService& retention, std::function<void()> hourly)
    : timer_(timer), retention_(retention), hourly_(std::move(hourly)) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  next_wake_ = FromMillis(0);  // look once at start: work may be overdue after a restart
  next_prune_ = FromMillis(0);
  if (hourly_) next_hourly_ = FromMillis(0);  // at start too
  thread_ = std::thread([this] { Loop(); });
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

void Scheduler::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    OptTime due = Earliest(Earliest(next_wake_, next_prune_), next_hourly_);
    if (!due) {
      wake_.wait(lock);
      continue;
    }
    if (WallNow() < *due) {
      wake_.wait_until(lock, *due);
      continue;  // re-check: woken early for an earlier time, or stopping
    }
    if (next_wake_ && *next_wake_ <= WallNow()) RunTimer(lock);
    if (next_prune_ && *next_prune_ <= WallNow()) RunRetention(lock);
    if (next_hourly_ && *next_hourly_ <= WallNow()) RunHourly(lock);
  }
}

void Scheduler::RunTimer(std::unique_lock<std::mutex>& lock) {
  next_wake_.reset();
  lock.unlock();
  auto outcome = timer_.ProcessDue();
  lock.lock();
  OptTime next;
  if (!outcome) {
    LogError("timer pass failed", {{"error", outcome.error().message}});
    next = WallNow() + std::chrono::seconds(1);  // the database refused: retry, don't spin
  } else {
    next = outcome->more ? OptTime(FromMillis(0)) : outcome->next_due;
  }
  if (next && (!next_wake_ || *next < *next_wake_)) next_wake_ = next;
}

void Scheduler::RunRetention(std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  auto outcome = retention_.PruneSlice();
  lock.lock();
  if (!outcome) {
    LogError("retention pass failed", {{"error", outcome.error().message}});
    next_prune_ = WallNow() + std::chrono::minutes(1);
    return;
  }
  if (outcome->runs_deleted > 0) {
    LogInfo("retention",
            {{"runs_deleted", outcome->runs_deleted}, {"jobs_deleted", outcome->jobs_deleted}});
  }
  // Between slices, a short pause leaves the writer to the API.
  next_prune_ =
      outcome->more ? OptTime(WallNow() + std::chrono::milliseconds(50)) : outcome->next_due;
}

void Scheduler::RunHourly(std::unique_lock<std::mutex>& lock) {
  next_hourly_ = WallNow() + kHour;
  lock.unlock();
  hourly_();
  lock.lock();
}

}  // namespace flare::daemon

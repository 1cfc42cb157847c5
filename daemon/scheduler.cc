#include "daemon/scheduler.h"

#include "daemon/log.h"

namespace flare::daemon {

Scheduler::Scheduler(TimerService& timer) : timer_(timer) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  next_wake_ = FromMillis(0);  // look once at start: work may be overdue after a restart
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
    if (!next_wake_) {
      wake_.wait(lock, [&] { return stopping_ || next_wake_.has_value(); });
      continue;
    }
    auto due = *next_wake_;
    if (std::chrono::system_clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;  // re-check: woken early for an earlier time, or stopping
    }
    next_wake_.reset();
    lock.unlock();
    auto outcome = timer_.ProcessDue();
    lock.lock();
    if (!outcome) {
      LogError("timer pass failed", {{"error", outcome.error().message}});
      // The database refused; try again shortly instead of spinning.
      auto retry = std::chrono::time_point_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now() + std::chrono::seconds(1));
      if (!next_wake_ || *next_wake_ > retry) next_wake_ = retry;
      continue;
    }
    OptTime next = outcome->more ? OptTime(FromMillis(0)) : outcome->next_due;
    if (next && (!next_wake_ || *next < *next_wake_)) next_wake_ = next;
  }
}

}  // namespace flare::daemon

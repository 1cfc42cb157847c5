#include "daemon/executor/watchdog.h"

namespace flare::daemon {

Watchdog::Watchdog() : thread_([this] { Loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

uint64_t Watchdog::Arm(Deadline deadline, std::function<void()> fire) {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t ticket = next_ticket_++;
  armed_.emplace(deadline, std::make_pair(ticket, std::move(fire)));
  wake_.notify_all();
  return ticket;
}

void Watchdog::Disarm(uint64_t ticket) {
  // Fires run under mutex_, so taking it waits out a fire in progress.
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = armed_.begin(); it != armed_.end(); ++it) {
    if (it->second.first == ticket) {
      armed_.erase(it);
      return;
    }
  }
}

void Watchdog::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (armed_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto first = armed_.begin();
    // A copy: wait_until reads its deadline again after waking, when a
    // Disarm may have erased the node.
    Deadline next = first->first;
    if (next > std::chrono::steady_clock::now()) {
      wake_.wait_until(lock, next);
      continue;
    }
    std::function<void()> fire = std::move(first->second.second);
    armed_.erase(first);
    fire();
  }
}

}  // namespace flare::daemon

#include "daemon/engines/dispatcher.h"

#include <algorithm>

namespace flare::daemon {

Dispatcher::Dispatcher(WorkerService& workers, size_t max_waiters)
    : workers_(workers), max_waiters_(max_waiters) {}

size_t Dispatcher::waiting() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

bool Dispatcher::Matches(const Waiter& waiter, const std::string& project_id,
                         const std::string& queue, const std::string& job_type) const {
  if (*waiter.project_id != project_id) return false;
  const auto& queues = waiter.request->queues;
  if (std::find(queues.begin(), queues.end(), queue) == queues.end()) return false;
  const auto& types = waiter.request->job_types;
  return types.empty() || std::find(types.begin(), types.end(), job_type) != types.end();
}

bool Dispatcher::Departed(Waiter& waiter) {
  if (!waiter.left && waiter.client_gone && (*waiter.client_gone)()) {
    waiter.left = true;
    waiter.cv.notify_one();
  }
  return waiter.left;
}

void Dispatcher::Sleep(std::unique_lock<std::mutex>& lock, Waiter& waiter,
                       std::chrono::steady_clock::time_point deadline) {
  auto awake = [&] { return waiter.woken || waiter.left; };
  if (!waiter.client_gone) {
    waiter.cv.wait_until(lock, deadline, awake);
    return;
  }
  // A condition variable cannot wait on a socket: look at the client once a second, so a
  // departed client's poll gives back its thread and its place among max_waiters.
  while (!awake()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    if (!waiter.cv.wait_until(lock, std::min(deadline, now + kClientCheck), awake)) {
      Departed(waiter);
    }
  }
}

size_t Dispatcher::parked() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(
      std::count_if(waiters_.begin(), waiters_.end(), [](const Waiter* w) { return w->parked; }));
}

std::optional<ReservedPoll> Dispatcher::TryReserve(const std::string& project_id,
                                                   const std::string& queue,
                                                   const std::string& job_type) {
  std::lock_guard lock(mutex_);
  if (shutting_down_) return std::nullopt;
  for (Waiter* waiter : waiters_) {
    if (!waiter->parked || waiter->woken || waiter->reserved ||
        !Matches(*waiter, project_id, queue, job_type) || Departed(*waiter)) {
      continue;
    }
    waiter->reserved = true;
    uint64_t ticket = next_ticket_++;
    reserved_[ticket] = waiter;
    const PollRequest& request = *waiter->request;
    return ReservedPoll{ticket, request.worker_id, request.queues, request.job_types};
  }
  return std::nullopt;
}

void Dispatcher::Claimed(uint64_t ticket, ClaimedRun claim) {
  std::lock_guard lock(mutex_);
  auto it = reserved_.find(ticket);
  if (it == reserved_.end()) return;
  Waiter* waiter = it->second;
  reserved_.erase(it);
  waiter->reserved = false;
  waiter->handed = std::move(claim);
  waiter->woken = true;
  waiter->cv.notify_one();
}

void Dispatcher::Release(uint64_t ticket) {
  std::lock_guard lock(mutex_);
  auto it = reserved_.find(ticket);
  if (it == reserved_.end()) return;
  it->second->reserved = false;
  it->second->cv.notify_one();  // a kept poll past its deadline may leave now
  reserved_.erase(it);
}

void Dispatcher::WorkerRunReady(const std::string& project_id, const std::string& queue,
                                const std::string& job_type) {
  std::lock_guard lock(mutex_);
  for (Waiter* waiter : waiters_) {
    if (waiter->woken || waiter->reserved || !Matches(*waiter, project_id, queue, job_type) ||
        Departed(*waiter)) {
      continue;
    }
    waiter->woken = true;
    waiter->cv.notify_one();
    return;
  }
}

void Dispatcher::WakeAll() {
  std::lock_guard lock(mutex_);
  for (Waiter* waiter : waiters_) {
    if (waiter->woken || waiter->reserved) continue;
    waiter->woken = true;
    waiter->cv.notify_one();
  }
}

void Dispatcher::Shutdown() {
  std::lock_guard lock(mutex_);
  shutting_down_ = true;
  for (Waiter* waiter : waiters_) {
    waiter->woken = true;
    waiter->cv.notify_one();
  }
}

Result<ClaimedRuns> Dispatcher::Poll(const std::string& project_id, const PollRequest& request,
                                     const ClientGone& client_gone) {
  auto first = workers_.Claim(project_id, request);
  if (!first || !first->empty() || request.wait_seconds == 0) return first;

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(request.wait_seconds);
  Waiter waiter;
  waiter.project_id = &project_id;
  waiter.request = &request;
  waiter.client_gone = client_gone ? &client_gone : nullptr;
  std::unique_lock lock(mutex_);
  if (shutting_down_) return first;
  if (waiters_.size() >= max_waiters_) {
    return Error{ErrorCode::kRateLimitExceeded,
                 "too many polls are waiting (" + std::to_string(max_waiters_) +
                     "); retry after a second or raise flared --max-waiters"};
  }
  auto position = waiters_.insert(waiters_.end(), &waiter);
  Result<ClaimedRuns> answer = first;
  while (true) {
    // Before woken is cleared: a wake meant for a run is passed on below.
    if (Departed(waiter)) break;
    // Cleared before the claim, not after it: a run committed in the same group commit as
    // our (empty) claim wakes us during the claim, and that wake must not be forgotten.
    waiter.woken = false;
    lock.unlock();
    answer = workers_.Claim(project_id, request);
    lock.lock();
    bool got_jobs = answer && !answer->empty();
    if (!answer || got_jobs || shutting_down_) break;
    // Parked: the next ready run of our queues wakes us (or is handed to us), or the
    // deadline ends the poll. Kept for a run, we wait for its transaction to end first.
    waiter.parked = true;
    Sleep(lock, waiter, deadline);
    waiter.cv.wait(lock, [&] { return !waiter.reserved; });
    waiter.parked = false;
    if (waiter.handed) {
      answer = ClaimedRuns{std::move(*waiter.handed)};
      break;
    }
    if (!waiter.woken) break;  // the deadline, or its client left
  }
  waiters_.erase(position);
  if (waiter.woken && !waiter.handed && !shutting_down_) {
    // A wake that arrived during our last claim was meant for a run our claim may not
    // have taken: our claim can sit in the same group commit as the insert and take
    // another run, or someone else took the run. Leaving with it would strand a ready
    // run while another poll sleeps, so pass it on.
    for (Waiter* other : waiters_) {
      if (!other->woken && *other->project_id == project_id) {
        other->woken = true;
        other->cv.notify_one();
        break;
      }
    }
  }
  return answer;
}

}  // namespace flare::daemon

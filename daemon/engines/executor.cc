#include "daemon/engines/executor.h"

#include <algorithm>

#include "common/thread_name.h"
#include "daemon/log.h"

namespace flare::daemon {

Executor::Executor(HttpRunService& runs, std::unique_ptr<HttpTransport> transport,
                   ExecutorOptions options)
    : runs_(runs), transport_(std::move(transport)), options_(options) {
  options_.concurrency = std::max(1, options_.concurrency);
  options_.bookkeepers = std::max(1, options_.bookkeepers);
}

Executor::~Executor() { Stop(std::chrono::milliseconds(0)); }

void Executor::Start() {
  auto pending = runs_.Recover();
  std::lock_guard lock(mutex_);
  if (!pending) {
    LogError("executor recovery failed", {{"error", pending.error().message}});
  } else {
    for (const auto& item : *pending) EnqueueLocked(item);
  }
  next_rescan_ = Clock::now() + options_.rescan_interval;
  recovered_ = true;
  for (int i = 0; i < options_.bookkeepers; ++i)
    threads_.push_back(NamedThread("executor", [this] { Bookkeep(); }));
}

void Executor::Enqueue(const PendingHttpRun& run) {
  std::lock_guard lock(mutex_);
  EnqueueLocked(run);
}

void Executor::EnqueueLocked(const PendingHttpRun& item) {
  if (stopping_ || active_.count(item.run_id) != 0 || !queued_.insert(item.run_id).second) return;
  queue_.push_back(item);
  if (queue_.size() > kMaxQueuedSpecs) queue_.back().spec.reset();
  wake_.notify_one();
}

bool Executor::TryReserve() {
  std::lock_guard lock(mutex_);
  if (!recovered_ || stopping_ || !queue_.empty() || Room() == 0) return false;
  ++reserved_;
  return true;
}

void Executor::Release() {
  std::lock_guard lock(mutex_);
  --reserved_;
  wake_.notify_one();  // room for a queued run
}

void Executor::Begun(HttpWork work) {
  std::lock_guard lock(mutex_);
  --reserved_;
  if (stopping_) {
    // Stays processing; the next start fails it with WORKER_LOST and retries it.
    wake_.notify_one();
    return;
  }
  auto [it, inserted] = active_.try_emplace(work.run_id);
  if (!inserted) return;  // cannot happen: a run is begun once per lease
  it->second.call_id = next_call_id_++;
  ++calls_open_;
  Call(it, std::move(work));
}

void Executor::Cancel(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  auto it = active_.find(run_id);
  if (it == active_.end() || it->second.cancelled || it->second.call_ended) return;
  it->second.cancelled = true;
  if (it->second.calling) transport_->Cancel(it->second.call_id);  // a hand-off, never a wait
}

void Executor::Stop(std::chrono::milliseconds grace) {
  {
    std::unique_lock lock(mutex_);
    if (abandoning_) return;
    stopping_ = true;
    queue_.clear();
    queued_.clear();
    wake_.notify_all();
    idle_.wait_for(lock, grace, [&] { return active_.empty(); });
    abandoning_ = true;
    wake_.notify_all();
  }
  // Without the lock: the transport's thread may be waiting for it to report an outcome.
  transport_->Shutdown();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

size_t Executor::Room() const {
  auto limit = static_cast<size_t>(options_.concurrency);
  size_t taken = calls_open_ + reserved_;
  // Ended calls wait for their Finish outside the limit, but not without bound: as many
  // as the limit, or MostEndedHeld() for as long as a burst of fires lasts, also once that
  // many are held and outcomes are recorded again (dropping back to the smaller bound then
  // would leave no room, and every later fire of the burst would wait for its own Begin).
  size_t most_kept = limit + (InBurst(Clock::now()) ? MostEndedHeld() : limit);
  size_t kept = active_.size() + reserved_;
  if (taken >= limit || kept >= most_kept) return 0;
  return std::min(limit - taken, most_kept - kept);
}

bool Executor::CanBegin() const { return !stopping_ && !queue_.empty() && Room() > 0; }

size_t Executor::MostEndedHeld() const {
  return std::max(static_cast<size_t>(options_.concurrency), kMaxEndedCalls);
}

bool Executor::InBurst(Clock::time_point now) const {
  return !stopping_ && now < hold_outcomes_until_;
}

bool Executor::HoldingOutcomes(Clock::time_point now) const {
  return InBurst(now) && active_.size() - calls_open_ < MostEndedHeld();
}

void Executor::FiresPending(bool more) {
  std::lock_guard lock(mutex_);
  Clock::time_point now = Clock::now();
  bool held = now < hold_outcomes_until_;
  hold_outcomes_until_ = more ? now + options_.burst_hold : Clock::time_point{};
  if (held && !more) wake_.notify_all();  // the outcomes kept for the burst
}

void Executor::Bookkeep() {
  std::unique_lock lock(mutex_);
  while (!abandoning_) {
    if (CanBegin()) {
      // Every queued run there is room for, taken in one transaction. Before the outcomes:
      // a run's start is late by whatever the writer does first, its end only waits.
      size_t n = std::min({queue_.size(), Room(), kMaxBatch});
      std::vector<PendingHttpRun> items(queue_.begin(), queue_.begin() + n);
      queue_.erase(queue_.begin(), queue_.begin() + n);
      for (const auto& item : items) queued_.erase(item.run_id);
      BeginRuns(items, lock);
    } else if (!outcomes_.empty() && !HoldingOutcomes(Clock::now())) {
      // Every outcome reported so far, recorded in one transaction.
      size_t n = std::min(outcomes_.size(), kMaxBatch);
      std::vector<Outcome> done(std::make_move_iterator(outcomes_.begin()),
                                std::make_move_iterator(outcomes_.begin() + n));
      outcomes_.erase(outcomes_.begin(), outcomes_.begin() + n);
      FinishRuns(std::move(done), lock);
    } else if (!stopping_ && Clock::now() >= next_rescan_) {
      Rescan(lock);
    } else if (stopping_) {
      wake_.wait(lock);
    } else if (!outcomes_.empty()) {
      wake_.wait_until(lock, std::min(next_rescan_, hold_outcomes_until_));
    } else {
      wake_.wait_until(lock, next_rescan_);  // re-evaluated: a failed Begin moves it earlier
    }
  }
}

void Executor::BeginRuns(const std::vector<PendingHttpRun>& items,
                         std::unique_lock<std::mutex>& lock) {
  for (const auto& item : items) active_[item.run_id].call_id = next_call_id_++;
  calls_open_ += items.size();
  lock.unlock();
  auto begun = runs_.BeginMany(items);
  lock.lock();
  for (size_t i = 0; i < items.size(); ++i) {
    Started(items[i],
            begun ? std::move((*begun)[i]) : Result<std::optional<HttpWork>>(begun.error()));
  }
}

void Executor::Started(const PendingHttpRun& item, Result<std::optional<HttpWork>> work) {
  auto it = active_.find(item.run_id);
  if (!work || !*work) {
    --calls_open_;
    active_.erase(it);
    idle_.notify_all();
    if (work) return;  // not a pending HTTP run any more
    LogError("cannot start HTTP run", {{"run", item.run_id}, {"error", work.error().message}});
    ++failed_begins_;
    // The run is still pending: read the pending runs again soon, then less and less often.
    failure_backoff_ = failure_backoff_.count() == 0
                           ? options_.retry_after_failure
                           : std::min(failure_backoff_ * 2, options_.rescan_interval);
    next_rescan_ = std::min(next_rescan_, Clock::now() + failure_backoff_);
    wake_.notify_all();
    return;
  }
  failure_backoff_ = std::chrono::milliseconds(0);
  Call(it, std::move(**work));
}

void Executor::Call(std::map<std::string, Active>::iterator it, HttpWork work) {
  Active& active = it->second;
  active.work = std::move(work);
  const std::string& run_id = it->first;
  if (abandoning_) {
    --calls_open_;
    active_.erase(it);  // stays processing; the next start fails it with WORKER_LOST
    idle_.notify_all();
    return;
  }
  if (active.cancelled) {
    HttpCallOutcome cancelled;
    cancelled.failure = FailureReason::kCancelled;
    EndCall(active);
    outcomes_.push_back({run_id, std::move(cancelled), Clock::now()});
    wake_.notify_one();
    return;
  }
  active.calling = true;
  // Under the lock, so a Cancel that sees `calling` reaches a call the transport knows.
  transport_->Start(active.call_id, std::move(active.work.call),
                    [this, run_id](HttpCallOutcome outcome) {
                      std::lock_guard done_lock(mutex_);
                      if (auto ended = active_.find(run_id); ended != active_.end())
                        EndCall(ended->second);
                      // While a burst holds them, only the first outcome wakes a
                      // bookkeeper, which then sleeps until the hold ends.
                      bool first = outcomes_.empty();
                      Clock::time_point ended_at = Clock::now();
                      outcomes_.push_back({run_id, std::move(outcome), ended_at});
                      if (first || !HoldingOutcomes(ended_at)) wake_.notify_one();
                    });
}

void Executor::EndCall(Active& active) {
  if (active.call_ended) return;
  active.call_ended = true;
  --calls_open_;
}

void Executor::FinishRuns(std::vector<Outcome> done, std::unique_lock<std::mutex>& lock) {
  std::vector<FinishedCall> calls;
  calls.reserve(done.size());
  for (Outcome& outcome : done) {
    auto it = active_.find(outcome.run_id);
    if (it == active_.end()) continue;
    calls.push_back({std::move(it->second.work), std::move(outcome.outcome), outcome.ended_at});
  }
  if (calls.empty()) return;
  lock.unlock();
  Status finished = runs_.FinishMany(calls);
  if (!finished) {
    LogError("cannot record HTTP runs",
             {{"runs", std::to_string(calls.size())}, {"error", finished.error().message}});
  }
  lock.lock();
  for (const FinishedCall& call : calls) active_.erase(call.work.run_id);
  idle_.notify_all();
  wake_.notify_all();  // room for more calls
}

void Executor::Rescan(std::unique_lock<std::mutex>& lock) {
  next_rescan_ = Clock::now() + options_.rescan_interval;
  lock.unlock();
  Result<std::vector<PendingHttpRun>> pending = runs_.PendingRuns();
  lock.lock();
  if (!pending) {
    LogError("cannot read pending HTTP runs", {{"error", pending.error().message}});
    return;
  }
  for (const PendingHttpRun& item : *pending) EnqueueLocked(item);
}

}  // namespace flare::daemon

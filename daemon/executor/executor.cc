#include "daemon/executor/executor.h"

#include "daemon/log.h"

namespace flare::daemon {

Executor::Executor(HttpRunService& runs, std::unique_ptr<HttpTransport> transport, int concurrency)
    : runs_(runs), transport_(std::move(transport)), concurrency_(concurrency) {}

Executor::~Executor() { Stop(std::chrono::milliseconds(0)); }

void Executor::Start() {
  auto pending = runs_.Recover();
  if (!pending) {
    LogError("executor recovery failed", {{"error", pending.error().message}});
  } else {
    for (const auto& item : *pending) Enqueue(item.project_id, item.run_id);
  }
  for (int i = 0; i < concurrency_; ++i) threads_.emplace_back([this] { Work(); });
}

void Executor::Enqueue(const std::string& project_id, const std::string& run_id) {
  std::lock_guard lock(mutex_);
  if (stopping_ || !queued_.insert(run_id).second) return;
  queue_.push_back({project_id, run_id});
  ready_.notify_one();
}

void Executor::Cancel(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  auto it = in_flight_.find(run_id);
  if (it != in_flight_.end()) it->second->Cancel();
}

void Executor::Stop(std::chrono::milliseconds grace) {
  {
    std::unique_lock lock(mutex_);
    if (threads_.empty()) return;
    stopping_ = true;
    queue_.clear();
    queued_.clear();
    ready_.notify_all();
    if (!idle_.wait_for(lock, grace, [&] { return in_flight_.empty(); })) {
      shutting_down_calls_ = true;
      for (auto& [id, flag] : in_flight_) flag->Cancel();
    }
  }
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

void Executor::Work() {
  std::unique_lock lock(mutex_);
  while (true) {
    ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    PendingHttpRun item = queue_.front();
    queue_.pop_front();
    queued_.erase(item.run_id);
    lock.unlock();
    Perform(item);
    lock.lock();
  }
}

void Executor::Perform(const PendingHttpRun& item) {
  // The flag is reachable by Cancel() before the run is marked processing, so a cancel
  // that commits between Begin and the call still aborts it (the transport checks the
  // flag before it connects).
  CancelFlag cancel;
  {
    std::lock_guard lock(mutex_);
    in_flight_[item.run_id] = &cancel;
  }
  auto work = runs_.Begin(item.project_id, item.run_id);
  bool abandoned = false;
  std::optional<HttpCallOutcome> outcome;
  if (work && *work) outcome = transport_->Perform((*work)->call, cancel);
  {
    std::lock_guard lock(mutex_);
    in_flight_.erase(item.run_id);
    abandoned = shutting_down_calls_;
    idle_.notify_all();
  }
  if (!work) {
    LogError("cannot start HTTP run", {{"run", item.run_id}, {"error", work.error().message}});
    return;
  }
  if (!outcome || abandoned) return;  // not pending any more, or left for the next start
  if (auto finished = runs_.Finish(**work, *outcome); !finished) {
    LogError("cannot record HTTP run", {{"run", item.run_id}, {"error", finished.error().message}});
  }
}

}  // namespace flare::daemon

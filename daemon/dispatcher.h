#pragma once
// Long-poll hand-off between commits and waiting workers.
//
// A poll first tries to claim. If nothing is ready it parks as a waiter on its project's
// queues and sleeps on its own condition variable. A commit that makes a worker run pending
// (create, retry due, parent succeeded, lease expired…) calls WorkerRunReady after the
// commit; that wakes waiters of that queue whose job-type filter matches, at most one per
// ready run (so one job does not stampede a thousand pollers). A woken waiter claims again.
// The waiter is registered BEFORE its second claim attempt, so a run committed between the
// first claim and parking cannot be missed. Nothing here reads the database on a timer.

#include <condition_variable>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/service/worker_service.h"

namespace flare::daemon {

class Dispatcher {
 public:
  Dispatcher(WorkerService& workers, size_t max_waiters);

  /// Claims up to max_jobs, waiting up to wait_seconds when none is ready.
  /// 429 rate_limit_exceeded when max_waiters polls are already waiting.
  Result<nlohmann::json> Poll(const std::string& project_id, const PollRequest& request);
  /// After-commit signal: a worker run became pending.
  void WorkerRunReady(const std::string& project_id, const std::string& queue,
                      const std::string& job_type);
  /// Wakes every waiter with an empty answer; later polls do not wait.
  void Shutdown();
  size_t waiting() const;

 private:
  struct Waiter {
    const std::string* project_id;
    const PollRequest* request;
    bool woken = false;
    std::condition_variable cv;
  };
  bool Matches(const Waiter& waiter, const std::string& project_id, const std::string& queue,
               const std::string& job_type) const;

  WorkerService& workers_;
  size_t max_waiters_;
  mutable std::mutex mutex_;
  std::list<Waiter*> waiters_;  // oldest first: the longest-waiting poll is woken first
  bool shutting_down_ = false;
};

}  // namespace flare::daemon

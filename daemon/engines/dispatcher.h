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
//
// Faster still, a run made ready while a matching poll is parked is claimed for that poll in
// the very transaction that makes it ready (ParkedPolls, parked_polls.h): the poll is kept
// (reserved) during that transaction and answered by its commit, with no claim of its own.
// A kept poll never leaves (deadline, shutdown) before that transaction has ended.

#include <condition_variable>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "daemon/service/parked_polls.h"
#include "daemon/service/worker_service.h"

namespace flare::daemon {

class Dispatcher final : public ParkedPolls {
 public:
  Dispatcher(WorkerService& workers, size_t max_waiters);

  /// Claims up to max_jobs, waiting up to wait_seconds when none is ready.
  /// 429 rate_limit_exceeded when max_waiters polls are already waiting.
  Result<ClaimedRuns> Poll(const std::string& project_id, const PollRequest& request);
  /// After-commit signal: a worker run became pending.
  void WorkerRunReady(const std::string& project_id, const std::string& queue,
                      const std::string& job_type);
  /// Wakes every waiter with an empty answer; later polls do not wait.
  void Shutdown();
  /// Every parked poll claims again: work may have become ready unannounced (another
  /// node's wake-up was lost while this node's listener reconnected).
  void WakeAll();
  size_t waiting() const;
  /// Polls parked now (waiting for a run, not claiming).
  size_t parked() const;

  // ParkedPolls, on the writer thread.
  std::optional<ReservedPoll> TryReserve(const std::string& project_id, const std::string& queue,
                                         const std::string& job_type) override;
  void Claimed(uint64_t ticket, ClaimedRun claim) override;
  void Release(uint64_t ticket) override;

 private:
  struct Waiter {
    const std::string* project_id;
    const PollRequest* request;
    bool woken = false;
    bool parked = false;               // asleep on cv, not claiming
    bool reserved = false;             // kept for a run in a writer transaction that has not ended
    std::optional<ClaimedRun> handed;  // the claim that transaction's commit gave
    std::condition_variable cv;
  };
  bool Matches(const Waiter& waiter, const std::string& project_id, const std::string& queue,
               const std::string& job_type) const;

  WorkerService& workers_;
  size_t max_waiters_;
  mutable std::mutex mutex_;
  std::list<Waiter*> waiters_;  // oldest first: the longest-waiting poll is woken first
  std::unordered_map<uint64_t, Waiter*> reserved_;  // by ticket
  uint64_t next_ticket_ = 1;
  bool shutting_down_ = false;
};

}  // namespace flare::daemon

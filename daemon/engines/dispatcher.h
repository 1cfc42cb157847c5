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
//
// A poll whose client has gone (its connection closed: a worker stopped or restarted) takes
// nothing more: it is skipped when a run is kept or announced, it looks before each claim,
// and while parked it looks once a second, then leaves. Without that, the next job would be
// claimed for a poll nobody reads and wait until its worker is declared lost (90 s).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "daemon/service/parked_polls.h"
#include "daemon/service/worker_service.h"

namespace flare::daemon {

/// Whether a poll's client has gone away. Called with the dispatcher's lock held, on any
/// thread: it must answer at once and take no lock of its own.
using ClientGone = std::function<bool()>;

class Dispatcher final : public ParkedPolls {
 public:
  /// How often a parked poll whose client can leave looks whether it has.
  static constexpr std::chrono::seconds kClientCheck{1};

  Dispatcher(WorkerService& workers, size_t max_waiters);

  /// Claims up to max_jobs, waiting up to wait_seconds when none is ready.
  /// 429 rate_limit_exceeded when max_waiters polls are already waiting. Once
  /// `client_gone` says so, it claims nothing more and answers empty.
  Result<ClaimedRuns> Poll(const std::string& project_id, const PollRequest& request,
                           const ClientGone& client_gone = {});
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
    const ClientGone* client_gone = nullptr;  // none: a client that cannot leave
    bool left = false;                        // its client went away: it claims nothing more
    std::condition_variable cv;
  };
  bool Matches(const Waiter& waiter, const std::string& project_id, const std::string& queue,
               const std::string& job_type) const;
  /// True once the waiter's client has gone (then also wakes it to leave). Lock held.
  static bool Departed(Waiter& waiter);
  /// Until the waiter is woken, its client leaves, or the deadline.
  static void Sleep(std::unique_lock<std::mutex>& lock, Waiter& waiter,
                    std::chrono::steady_clock::time_point deadline);

  WorkerService& workers_;
  size_t max_waiters_;
  mutable std::mutex mutex_;
  std::list<Waiter*> waiters_;  // oldest first: the longest-waiting poll is woken first
  std::unordered_map<uint64_t, Waiter*> reserved_;  // by ticket
  uint64_t next_ticket_ = 1;
  bool shutting_down_ = false;
};

}  // namespace flare::daemon

#pragma once
// The HTTP executor: takes pending HTTP runs, marks them processing, has the transport
// perform the calls (all at once, on the transport's own thread) and records how each
// ended.
//
// Runs arrive by after-commit notification (Enqueue), at start from recovery, and from
// the database itself: after a Begin fails (a transient database error) the executor
// re-reads the pending HTTP runs with a backoff, and a slow safety timer does the same, so
// a run no notification announced is still performed. Begin and Finish are writes, which
// block until their group commit; a bookkeeping thread takes every run there is room for
// (up to kMaxBatch) in ONE Begin transaction and records every outcome reported so far in
// ONE Finish transaction, so a burst costs a few transactions, not two per call. A few such
// threads overlap (one collects the next batch while another waits for its commit), and
// the transport's loop never waits on the database.
//
// A run that becomes ready while a call slot is free skips the queue: the transaction that
// makes it ready also begins it (HttpRunStarter, http_work.h), and its call starts right
// after that commit, so a fire or a create costs one transaction less before the call.
//
// Enqueue and Cancel only hand off (a queue, a flag, a transport wake-up): they run on the
// writer thread after a commit and must never block it. A run cancelled while in flight
// ends at once; one cancelled between Begin and the call never reaches the wire.
// At shutdown, calls still in flight after the grace period are abandoned without a
// verdict: they stay processing and the next start fails them with WORKER_LOST (and
// retries them).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "daemon/service/http_run_service.h"
#include "daemon/transport/http_transport.h"

namespace flare::daemon {

struct ExecutorOptions {
  int concurrency = 256;  // calls in flight at once
  int bookkeepers = 4;    // threads that record starts and outcomes, a batch each at a time
  /// The safety re-read of pending HTTP runs.
  std::chrono::milliseconds rescan_interval{std::chrono::seconds(60)};
  /// The first re-read after a failed Begin; doubles up to rescan_interval.
  std::chrono::milliseconds retry_after_failure{std::chrono::seconds(1)};
  /// How long outcomes wait for a burst of fires (FiresPending), counted from the timer's
  /// last word that more are due: a timer that stops saying so holds nothing for long.
  std::chrono::milliseconds burst_hold{200};
};

class Executor final : public HttpRunStarter {
 public:
  Executor(HttpRunService& runs, std::unique_ptr<HttpTransport> transport, ExecutorOptions options);
  ~Executor() override;

  /// Recovers runs left by a previous flared and starts the bookkeeping threads.
  void Start();
  /// A run became pending. Never blocks.
  void Enqueue(const PendingHttpRun& run);
  /// Aborts the run if it is in flight here. Never blocks.
  void Cancel(const std::string& run_id);
  /// HttpRunStarter, on the writer thread: a slot is kept only while the queue is empty (a
  /// run begun in a transaction never overtakes runs already waiting) and after Start's
  /// recovery (which fails the runs of lost nodes still processing).
  bool TryReserve() override;
  void Begun(HttpWork work) override;
  void Release() override;
  const std::string& node_id() const override { return runs_.node_id(); }
  /// On the scheduler's thread, after each timer transaction: while fires are still due,
  /// outcomes wait (up to options.burst_hold after the last such word, and kMaxEndedCalls
  /// of them), so the writer makes every fire of a burst before it records the first
  /// calls' ends: 1,000 `@every 1s` jobs fired ~40 % sooner (bench/RESULTS.md).
  void FiresPending(bool more) override;
  /// Waits up to `grace` for runs in flight, abandons the rest, joins the threads.
  void Stop(std::chrono::milliseconds grace);
  /// Begins that failed so far (each one schedules an early re-read of pending runs).
  uint64_t failed_begins() const {
    std::lock_guard lock(mutex_);
    return failed_begins_;
  }
  /// Connections the transport opened so far.
  int64_t connections_opened() const { return transport_->connections_opened(); }

 private:
  using Clock = std::chrono::steady_clock;

  // A run taken from the queue, from Begin until its outcome is recorded.
  struct Active {
    HttpTransport::CallId call_id = 0;
    bool cancelled = false;
    bool calling = false;     // handed to the transport
    bool call_ended = false;  // its outcome is in: only its Finish is left
    HttpWork work;
  };
  struct Outcome {
    std::string run_id;
    HttpCallOutcome outcome;
    Clock::time_point ended_at;  // when it came in: the run's completed_at (http_work.h)
  };

  /// The most runs one Begin or Finish transaction carries.
  static constexpr size_t kMaxBatch = 256;
  /// The most queued runs that keep the spec their fire read (PendingHttpRun::spec, ~1 KB
  /// each): a burst of 20,000 one-off jobs would otherwise hold ~25 MB until begun. Runs
  /// queued behind them are begun with a fresh read of their spec.
  static constexpr size_t kMaxQueuedSpecs = 4096;
  /// The most ended calls a burst of fires keeps waiting for their Finish (each holds its
  /// request, ~1-2 KB, and its job's parsed spec, ~1 KB unless the writer's memory shares
  /// it); beyond it outcomes are recorded even during the burst.
  static constexpr size_t kMaxEndedCalls = 2048;

  void Bookkeep();
  void BeginRuns(const std::vector<PendingHttpRun>& items, std::unique_lock<std::mutex>& lock);
  /// After BeginRuns, under the lock: hands a taken run to the transport.
  void Started(const PendingHttpRun& item, Result<std::optional<HttpWork>> work);
  /// Under the lock: a begun run's call starts (or ends at once if it was cancelled).
  void Call(std::map<std::string, Active>::iterator it, HttpWork work);
  void FinishRuns(std::vector<Outcome> done, std::unique_lock<std::mutex>& lock);
  void Rescan(std::unique_lock<std::mutex>& lock);
  void EnqueueLocked(const PendingHttpRun& item);
  /// Under the lock: the call of `active` is over (its slot is free for the next call).
  void EndCall(Active& active);
  /// Runs that may be begun now: call slots free (calls in flight and reservations count;
  /// ended calls waiting for their Finish do not, up to the limit, or MostEndedHeld()
  /// during a burst of fires).
  size_t Room() const;
  bool CanBegin() const;
  /// The timer said more fires are due, less than options.burst_hold ago.
  bool InBurst(Clock::time_point now) const;
  /// Outcomes wait: a burst of fires is being made and the ended calls have room to wait.
  bool HoldingOutcomes(Clock::time_point now) const;
  /// The most ended calls a burst keeps waiting for their Finish.
  size_t MostEndedHeld() const;

  HttpRunService& runs_;
  std::unique_ptr<HttpTransport> transport_;
  ExecutorOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;  // bookkeepers: work arrived
  std::condition_variable idle_;  // Stop: a run ended
  std::deque<PendingHttpRun> queue_;
  std::set<std::string> queued_;  // run ids in queue_, so a run is never queued twice
  std::map<std::string, Active> active_;
  size_t calls_open_ = 0;   // runs of active_ whose call has not ended
  size_t reserved_ = 0;     // slots kept for runs being begun in a writer transaction
  bool recovered_ = false;  // Start's recovery is done: slots may be kept
  std::deque<Outcome> outcomes_;
  Clock::time_point hold_outcomes_until_{};  // FiresPending
  HttpTransport::CallId next_call_id_ = 1;
  Clock::time_point next_rescan_;
  std::chrono::milliseconds failure_backoff_{0};
  uint64_t failed_begins_ = 0;
  bool stopping_ = false;
  bool abandoning_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace flare::daemon

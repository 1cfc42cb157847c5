#pragma once
// WorkerRunner: the loop behind `flarectl worker run -- CMD ARGS…` (SPEC §6).
//
// Two threads. The poller (the caller of Run) registers, then long-polls for as many jobs
// as there are free slots (`--concurrency`) and starts CMD once per job: no shell, the
// payload JSON on stdin, FLARE_JOB_ID FLARE_RUN_ID FLARE_ATTEMPT FLARE_MAX_ATTEMPTS
// FLARE_JOB_TYPE FLARE_QUEUE FLARE_LEASE_ID in the environment (FLARE_API_KEY removed).
// The supervisor owns the children: it poll(2)s their stdout/stderr and a control pipe,
// passes output through to stderr as "[job_id] line" (a stdout line "::progress 0.5" reports
// progress instead), keeps the last 4 KiB of stderr, reaps, and acks by exit status
// (0 → succeeded; otherwise failed with error {type ExitCode|Signal|Timeout, message: the
// stderr tail}) with run_id and lease_id; the children reaped in one pass are acked by one
// list ack ({worker_id, acks: [...]}, answered per item). Where flared's register answer
// says "ack_next", that ack also asks for as many next jobs as it frees slots, and starts
// what the answer hands over: a busy worker spends one request per job, not a poll and an
// ack; the slots stay taken until that answer, so the poller does not claim for them at the
// same moment. An ack that does not land (no answer,
// 5xx, 429) is retried with backoff until it does or the run's lease would have lapsed — the worker
// tracks each lease from the claim's timeout_seconds and every heartbeat's extension, capped by the
// worker-silence limit (3 heartbeat intervals since the last answered call) — because after
// that the server runs the job again anyway. Every heartbeat_interval_seconds it heartbeats
// with {job_id, run_id, lease_id, progress, extend_seconds} for each running job, so long
// commands keep their lease, and kills the children of runs named in the answer's
// `cancel_runs` (or, from an older flared, jobs in `cancel`; not acked: the run is already
// cancelled). A child running past its job's timeout_seconds is killed.
//
// Stopping: each byte 'S' on the control pipe (the signal handler writes one, as does
// RequestStop) is one stop request. The first stops polling (aborting the open long-poll)
// and lets running children finish; the second kills them and acks them failed. Acks still
// pending when nothing runs any more are retried for at most kStopAckGrace, then it returns.
// Each thread uses its own ApiClient, so no connection is shared.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/child_process.h"
#include "cli/io.h"
#include "cli/worker_protocol.h"

namespace flare::cli {

struct WorkerOptions {
  WorkerIdentity identity;
  int concurrency = 1;
  int wait_seconds = 25;
  std::vector<std::string> command;
  bool quiet = false;
};

/// How long a stopping worker keeps retrying acks the server has not taken yet.
inline constexpr std::chrono::seconds kStopAckGrace{15};

class WorkerRunner {
 public:
  WorkerRunner(WorkerOptions options, std::unique_ptr<ApiClient> poll_client,
               std::unique_ptr<ApiClient> control_client, Io& io);
  ~WorkerRunner();
  WorkerRunner(const WorkerRunner&) = delete;
  WorkerRunner& operator=(const WorkerRunner&) = delete;

  /// Registers and works until stopped; returns the exit code (0 after a stop).
  /// Throws CliError when registration fails.
  int Run();
  /// One stop request (thread-safe; the second one kills running children).
  void RequestStop();
  /// The fd a signal handler may write 'S' to (write(2) is async-signal-safe).
  int stop_fd() const { return control_[1]; }

 private:
  using Clock = std::chrono::steady_clock;
  /// One child and what the supervisor knows about it.
  struct Running {
    enum class Ending { kNatural, kCancelled, kTimedOut, kKilled };
    std::string job_id, run_id, lease_id;
    Clock::time_point lease_until;  // when the server would take the run back, at the latest
    ChildProcess child;
    std::string stdout_line, stderr_line, stderr_tail;
    std::optional<double> progress;
    std::chrono::steady_clock::time_point started;
    std::optional<std::chrono::steady_clock::time_point> deadline;
    Ending ending = Ending::kNatural;
  };
  /// An ack the server has not taken yet.
  struct PendingAck {
    AckInfo ack;
    Clock::time_point lease_until;
    Clock::time_point next_try;
    std::chrono::milliseconds backoff{500};
    int tries = 0;
  };
  void PollLoop();
  bool PollOnce();
  void StartJob(const nlohmann::json& claim, Clock::time_point claimed);
  void Supervise();
  void HandleControl(int stop_requests_before);
  void DrainOutput(Running& job, int fd, bool is_stdout);
  /// Moves what the poller handed over (started jobs, its acks) to the supervisor's lists;
  /// with mutex_ held.
  void TakeHandedOver();
  /// Drains every child's output and reaps those that have ended; how many it reaped.
  size_t ReapEnded();
  void Finish(Running& job, bool signaled, int code);
  void Heartbeat();
  void EnforceTimeouts();
  /// Sends the acks of the children reaped in this pass, then frees the slots kept for
  /// their next jobs.
  void SendFinishedAcks();
  /// One ack alone, several as one list, asking for `next_jobs` next jobs (0: none); what
  /// is not answered for good goes to acks_ for retries.
  void DeliverAcks(std::vector<PendingAck>& batch, int next_jobs);
  void RetryAcks();
  /// One delivery try, asking for `next_jobs` next jobs (0: none) and starting those the
  /// answer hands over; true when the server answered it for good (taken or refused).
  bool TryAck(PendingAck& pending, int next_jobs = 0);
  /// Starts the jobs an ack's answer handed over ("jobs"), claimed when `sent` was sent.
  void StartNextJobs(const nlohmann::json& answer, Clock::time_point sent);
  /// After a try answered `status` (0: no answer): true when done with `pending` (taken,
  /// refused, or too late to retry); else its next try is scheduled.
  bool Settle(PendingAck& pending, int status, const std::string& reason);
  /// When `pending` is no use any more: its lease, the silence limit, the stop grace.
  Clock::time_point GiveUpAt(const PendingAck& pending) const;
  void NoteContact(Clock::time_point sent);
  void Log(const std::string& line);
  void Wake();

  WorkerOptions options_;
  std::unique_ptr<ApiClient> poll_client_;
  std::unique_ptr<ApiClient> control_client_;
  Io& io_;
  int control_[2] = {-1, -1};
  std::chrono::seconds heartbeat_interval_{30};
  bool ack_next_ = false;  // the register answer said acks may take the next jobs

  std::mutex mutex_;
  std::condition_variable slots_changed_;
  std::vector<std::unique_ptr<Running>> started_;  // handed from poller to supervisor
  std::vector<PendingAck> handed_acks_;            // poller's acks (spawn failures) to send
  int active_ = 0;                                 // children alive or not yet acked
  std::atomic<bool> poller_done_{false};           // read by the supervisor without the lock
  std::atomic<int> stop_requests_{0};
  std::atomic<int> fatal_exit_{0};
  std::atomic<Clock::rep> last_contact_{0};  // when the last answered call was sent

  std::vector<std::unique_ptr<Running>> running_;  // supervisor only
  std::vector<PendingAck> acks_;                   // supervisor only
  std::vector<PendingAck> finished_acks_;          // supervisor only: reaped this pass
  int slots_kept_for_next_ = 0;  // supervisor only: their slots, kept for their acks' next jobs
  std::optional<Clock::time_point> ack_grace_until_;  // set once stopped with nothing running
};

}  // namespace flare::cli

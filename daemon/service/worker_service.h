#pragma once
// Workers (SPEC §6): register, claim, ack, heartbeat, progress, list. A claim is exclusive
// and carries a fresh lease_id (a fencing token): an ack or heartbeat that does not hold the
// run's current lease changes nothing and answers 409 lease_lost. Ack, heartbeat and
// progress act on the run the worker holds (named by run_id/lease_id, else the run of the
// job held by this worker), never on another run of the same job; HTTP runs are the
// executor's and no worker holds them.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "daemon/service/claimed_run.h"
#include "daemon/service/context.h"
#include "daemon/service/parked_polls.h"
#include "daemon/service/state_machine.h"

namespace flare::daemon {

struct PollRequest {
  std::string worker_id;
  std::vector<std::string> queues;
  std::vector<std::string> job_types;  // empty = any
  int max_jobs = 1;
  int wait_seconds = 25;
};

inline constexpr int kHeartbeatIntervalSeconds = 30;
/// A worker silent this long loses its runs (three heartbeat intervals).
inline constexpr std::chrono::seconds kWorkerSilenceLimit{3 * kHeartbeatIntervalSeconds};

/// What a worker is told when it registers.
struct Registration {
  std::string worker_id;
  int heartbeat_interval_seconds = kHeartbeatIntervalSeconds;
  /// Acks here may carry "next" (AckReply): said at registration so a worker asks only a
  /// server that understands it (the hosted API's register answer has no such field).
  bool ack_next = true;
};

/// What one ack did (a repeated ack is told the same again).
struct AckOutcome {
  std::string job_id;
  std::string run_id;
  RunState state = RunState::kSucceeded;  // the run's state after the ack
  int children_activated = 0;             // continuations the success released
};

/// Each item of a list ack answered alone, in the order given.
using AckListOutcome = std::vector<Result<AckOutcome>>;

/// An ack's answer: what it did and, when it asked for them ({"next": {max_jobs, queues?,
/// job_types?}}), the worker's next jobs, claimed in the ack's own transaction (README
/// "Ack and take the next jobs"): one round trip and one commit per job instead of two.
struct AckReply {
  AckOutcome outcome;
  std::optional<ClaimedRuns> next;
};
struct AckListReply {
  AckListOutcome outcomes;
  std::optional<ClaimedRuns> next;
};

/// What a heartbeat tells the worker: the jobs, and the runs, it must stop (cancelled, or
/// no longer held by it).
struct HeartbeatReply {
  std::vector<std::string> cancel;
  std::vector<std::string> cancel_runs;
};

/// The progress recorded on the job's run(s) held by the worker.
struct ProgressRecorded {
  std::string job_id;
  double progress = 0;
};

/// The project's workers as of `now` (a worker silent beyond kWorkerSilenceLimit is lost).
struct WorkerList {
  std::vector<WorkerRecord> workers;
  TimePoint now;
};

class WorkerService {
 public:
  explicit WorkerService(ServiceContext context) : ctx_(context) {}

  Result<Registration> Register(const std::string& project_id, const nlohmann::json& body);
  static Result<PollRequest> ParsePoll(const nlohmann::json& body);
  /// Claims up to max_jobs ready runs now, without waiting (none is an empty list).
  Result<ClaimedRuns> Claim(const std::string& project_id, const PollRequest& request);
  /// A refused ack claims nothing: its `next` is only for an ack that was taken.
  Result<AckReply> Ack(const std::string& project_id, const nlohmann::json& body);
  /// The list form {worker_id?, acks: [ack...], next?}: every item in ONE transaction, each
  /// answered alone (an item refused changes nothing; the others stand); `next` needs the
  /// list's worker_id and claims whatever the items' answers were.
  Result<AckListReply> AckList(const std::string& project_id, const nlohmann::json& body);
  Result<HeartbeatReply> Heartbeat(const std::string& project_id, const nlohmann::json& body);
  Result<ProgressRecorded> Progress(const std::string& project_id, const nlohmann::json& body);
  Result<WorkerList> List(const std::string& project_id);

 private:
  ServiceContext ctx_;
};

/// Claims `run`, a ready worker run of `job`, for the parked poll `poll` inside `tx`, as the
/// poll's own claim would (the worker is seen, the run starts under a new lease); returns
/// what the poll is handed.
ClaimedRun ClaimForParkedPollInTx(Tx& tx, StateMachine& machine, JobRecord& job, RunRecord& run,
                                  const ReservedPoll& poll);

}  // namespace flare::daemon

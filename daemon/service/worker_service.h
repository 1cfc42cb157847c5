#pragma once
// Workers (SPEC §6): register, claim, ack, heartbeat, progress, list. A claim is exclusive
// and carries a fresh lease_id (a fencing token): an ack or heartbeat that does not hold the
// run's current lease changes nothing and answers 409 lease_lost. Ack, heartbeat and
// progress act on the run the worker holds (named by run_id/lease_id, else the run of the
// job held by this worker), never on another run of the same job; HTTP runs are the
// executor's and no worker holds them.

#include <nlohmann/json.hpp>
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

class WorkerService {
 public:
  explicit WorkerService(ServiceContext context) : ctx_(context) {}

  Result<nlohmann::json> Register(const std::string& project_id, const nlohmann::json& body);
  static Result<PollRequest> ParsePoll(const nlohmann::json& body);
  /// Claims up to max_jobs ready runs now, without waiting (none is an empty list).
  Result<ClaimedRuns> Claim(const std::string& project_id, const PollRequest& request);
  Result<nlohmann::json> Ack(const std::string& project_id, const nlohmann::json& body);
  /// The list form {worker_id?, acks: [ack...]}: every item in ONE transaction, each
  /// answered alone → {"results": [answer + "status": 200 | {"error": {...}, "status"}]}.
  Result<nlohmann::json> AckList(const std::string& project_id, const nlohmann::json& body);
  Result<nlohmann::json> Heartbeat(const std::string& project_id, const nlohmann::json& body);
  Result<nlohmann::json> Progress(const std::string& project_id, const nlohmann::json& body);
  Result<nlohmann::json> List(const std::string& project_id);

 private:
  ServiceContext ctx_;
};

/// Claims `run`, a ready worker run of `job`, for the parked poll `poll` inside `tx`, as the
/// poll's own claim would (the worker is seen, the run starts under a new lease); returns
/// what the poll is handed.
ClaimedRun ClaimForParkedPollInTx(Tx& tx, StateMachine& machine, JobRecord& job, RunRecord& run,
                                  const ReservedPoll& poll);

}  // namespace flare::daemon

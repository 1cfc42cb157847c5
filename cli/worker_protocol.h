#pragma once
// The worker protocol of SPEC §6 as request bodies, shared by the low-level `workers …`
// commands and the real worker loop of `worker run`.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace flare::cli {

inline constexpr const char* kWorkersPath = "/flare/v1/workers";

struct WorkerIdentity {
  std::string worker_id;
  std::vector<std::string> queues;
  std::vector<std::string> job_types;
};

/// "<hostname>-<pid>": unique enough for one machine, readable in `workers list`.
std::string DefaultWorkerId();

/// {worker_id, queues, job_types}
nlohmann::json RegisterBody(const WorkerIdentity& worker);
/// {worker_id, queues, job_types?, max_jobs, wait_seconds}
nlohmann::json PollBody(const WorkerIdentity& worker, int max_jobs, int wait_seconds);

/// An ack's {"next": {max_jobs, queues, job_types?}}: the worker's next jobs, claimed by the
/// ack's own transaction (README "Ack and take the next jobs"; only where the register
/// answer said "ack_next": true).
nlohmann::json NextJobsBody(const WorkerIdentity& worker, int max_jobs);

/// What an ack says about one claimed job.
struct AckInfo {
  std::string job_id;
  std::string run_id;
  std::string lease_id;
  bool succeeded = true;
  std::optional<long long> duration_ms;
  std::string error_type;     // failed only
  std::string error_message;  // failed only
  nlohmann::json result;      // null: none
  std::optional<bool> retryable;
};
/// The ack for one claim, status and details still to fill in.
AckInfo AckFor(std::string job_id, std::string run_id, std::string lease_id);
/// {job_id, run_id?, lease_id?, worker_id, status, duration_ms?, result?, error?, retryable?}
nlohmann::json AckBody(const std::string& worker_id, const AckInfo& ack);

/// One job of a heartbeat: {job_id, run_id?, lease_id?, extend_seconds, progress?}. Naming
/// the run and lease makes flared act on exactly the run this worker holds (SPEC §6).
nlohmann::json HeartbeatItem(const std::string& job_id, const std::string& run_id,
                             const std::string& lease_id, int extend_seconds,
                             std::optional<double> progress);
/// True when a heartbeat answer tells this worker to stop the run: by `cancel_runs` when
/// flared names runs, else by the job id in `cancel`.
bool HeartbeatCancels(const nlohmann::json& answer, const std::string& job_id,
                      const std::string& run_id);

}  // namespace flare::cli

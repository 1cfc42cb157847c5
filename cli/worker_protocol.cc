#include "cli/worker_protocol.h"

#include <unistd.h>

#include <algorithm>

namespace flare::cli {

std::string DefaultWorkerId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, 8, "worker");
  return std::string(host) + "-" + std::to_string(getpid());
}

nlohmann::json RegisterBody(const WorkerIdentity& worker) {
  return {
      {"worker_id", worker.worker_id}, {"queues", worker.queues}, {"job_types", worker.job_types}};
}

nlohmann::json PollBody(const WorkerIdentity& worker, int max_jobs, int wait_seconds) {
  nlohmann::json body = {{"worker_id", worker.worker_id},
                         {"queues", worker.queues},
                         {"max_jobs", max_jobs},
                         {"wait_seconds", wait_seconds}};
  if (!worker.job_types.empty()) body["job_types"] = worker.job_types;
  return body;
}

nlohmann::json NextJobsBody(const WorkerIdentity& worker, int max_jobs) {
  nlohmann::json next = {{"max_jobs", max_jobs}, {"queues", worker.queues}};
  if (!worker.job_types.empty()) next["job_types"] = worker.job_types;
  return next;
}

AckInfo AckFor(std::string job_id, std::string run_id, std::string lease_id) {
  AckInfo ack;
  ack.job_id = std::move(job_id);
  ack.run_id = std::move(run_id);
  ack.lease_id = std::move(lease_id);
  return ack;
}

nlohmann::json AckBody(const std::string& worker_id, const AckInfo& ack) {
  nlohmann::json body = {{"job_id", ack.job_id},
                         {"worker_id", worker_id},
                         {"status", ack.succeeded ? "succeeded" : "failed"}};
  if (!ack.run_id.empty()) body["run_id"] = ack.run_id;
  if (!ack.lease_id.empty()) body["lease_id"] = ack.lease_id;
  if (ack.duration_ms) body["duration_ms"] = *ack.duration_ms;
  if (!ack.result.is_null()) body["result"] = ack.result;
  if (!ack.succeeded) {
    body["error"] = {{"type", ack.error_type.empty() ? "Error" : ack.error_type},
                     {"message", ack.error_message}};
  }
  if (ack.retryable) body["retryable"] = *ack.retryable;
  return body;
}

nlohmann::json HeartbeatItem(const std::string& job_id, const std::string& run_id,
                             const std::string& lease_id, int extend_seconds,
                             std::optional<double> progress) {
  nlohmann::json item = {{"job_id", job_id}, {"extend_seconds", extend_seconds}};
  if (!run_id.empty()) item["run_id"] = run_id;
  if (!lease_id.empty()) item["lease_id"] = lease_id;
  if (progress) item["progress"] = *progress;
  return item;
}

bool HeartbeatCancels(const nlohmann::json& answer, const std::string& job_id,
                      const std::string& run_id) {
  auto contains = [&answer](const char* list, const std::string& id) {
    auto it = answer.find(list);
    return it != answer.end() && it->is_array() &&
           std::find(it->begin(), it->end(), id) != it->end();
  };
  if (!run_id.empty() && answer.contains("cancel_runs")) return contains("cancel_runs", run_id);
  return contains("cancel", job_id);
}

}  // namespace flare::cli

#include "daemon/api/worker_views.h"

#include "daemon/service/views.h"

namespace flare::daemon {

namespace {

nlohmann::json ClaimedRunView(ClaimedRun& claim) {
  return nlohmann::json{
      {"id", claim.job_id},
      {"run_id", claim.run_id},
      {"lease_id", claim.lease_id},
      {"job_type", claim.job_type},
      {"queue", claim.queue},
      {"payload", std::move(claim.payload)},
      {"attempt", claim.attempt},
      {"max_attempts", claim.max_attempts},
      {"timeout_seconds", claim.timeout_seconds},
      {"tags", std::move(claim.tags)},
      {"lease_expires_at", TimeOrNull(claim.lease_expires_at)},
  };
}

}  // namespace

nlohmann::json PollAnswerView(ClaimedRuns claimed) {
  nlohmann::json jobs = nlohmann::json::array();
  for (ClaimedRun& claim : claimed) jobs.push_back(ClaimedRunView(claim));
  return nlohmann::json{{"jobs", std::move(jobs)}};
}

}  // namespace flare::daemon

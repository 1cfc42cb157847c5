#pragma once
// What a worker is handed when it claims a run: the typed answer of a claim, from the
// service to the dispatcher and on to the API, which alone turns it into the wire's
// {"jobs": [...]} (api/worker_views.h).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/store/records.h"

namespace flare::daemon {

struct ClaimedRun {
  std::string job_id;
  std::string run_id;
  std::string lease_id;  // the fencing token the worker's ack and heartbeats must carry
  std::string job_type;
  std::string queue;
  // The run's own payload (a rerun's), else the job's; as stored: the API's thread parses
  // them, not the writer's.
  StoredJson payload;
  StoredJson tags;
  int attempt = 0;
  int max_attempts = 0;
  int timeout_seconds = 0;
  OptTime lease_expires_at;
};

using ClaimedRuns = std::vector<ClaimedRun>;

/// The claim of `run` of `job`, which has just started under its new lease.
ClaimedRun ClaimOf(const JobRecord& job, const RunRecord& run);

}  // namespace flare::daemon

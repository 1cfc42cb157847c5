#pragma once
// Runs (SPEC §2, §7): list and read them, fire a job by hand (MANUAL), run one again
// (RERUN, rerun_of), and cancel one — a pending run at once; a processing run by aborting
// the HTTP request in flight or telling its worker at the next heartbeat.

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "daemon/service/context.h"
#include "daemon/service/page.h"
#include "daemon/store/run_store.h"

namespace flare::daemon {

class RunService {
 public:
  explicit RunService(ServiceContext context) : ctx_(context) {}

  Result<Page<RunRecord>> List(const std::string& project_id, RunFilter filter,
                               const std::string& cursor, int limit);
  Result<RunRecord> Get(const std::string& project_id, const std::string& run_id);
  /// The new run.
  Result<RunRecord> Trigger(const std::string& project_id, const std::string& job_id_or_slug,
                            const nlohmann::json& body);
  Result<RunRecord> Rerun(const std::string& project_id, const std::string& run_id);
  /// The run, now cancelled. A processing run's HTTP request is aborted; its worker is told
  /// at the next heartbeat.
  Result<RunRecord> Cancel(const std::string& project_id, const std::string& run_id);

 private:
  ServiceContext ctx_;
};

}  // namespace flare::daemon

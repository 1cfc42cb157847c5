#pragma once
// The domain side of HTTP jobs: taking a pending HTTP run for execution (processing, new
// attempt, the request it will make) and recording how the call ended. The executor engine
// performs the call in between; HttpCallSpec/HttpCallOutcome are the plain data it passes.

#include <optional>
#include <string>
#include <vector>

#include "daemon/executor/http_transport.h"
#include "daemon/service/context.h"

namespace flare::daemon {

struct HttpWork {
  std::string project_id;
  std::string job_id;
  std::string run_id;
  std::string lease_id;
  HttpCallSpec call;
  std::string success_status;
  int64_t queue_wait_ms = 0;
};

struct PendingHttpRun {
  std::string project_id;
  std::string run_id;
};

class HttpRunService {
 public:
  explicit HttpRunService(ServiceContext context) : ctx_(context) {}

  /// Takes the run if it is still a pending HTTP run; nullopt otherwise.
  Result<std::optional<HttpWork>> Begin(const std::string& project_id, const std::string& run_id);
  /// Records the outcome, unless the run was cancelled, replaced or timed out meanwhile.
  Status Finish(const HttpWork& work, const HttpCallOutcome& outcome);
  /// The pending HTTP runs, read from the database (not the writer): what the executor
  /// performs when no notification announced a run, e.g. after a failed Begin.
  Result<std::vector<PendingHttpRun>> PendingRuns();
  /// At start: HTTP runs left processing by a previous flared fail with WORKER_LOST (and
  /// retry per policy); returns the pending HTTP runs to perform.
  Result<std::vector<PendingHttpRun>> Recover();

 private:
  ServiceContext ctx_;
};

}  // namespace flare::daemon

#pragma once
// The HTTP executor: a fixed pool of threads performing pending HTTP runs. Runs arrive by
// after-commit notification (and, at start, from recovery); each thread takes one, marks it
// processing through the service, performs the call through the HttpTransport seam, and
// records the outcome. A run cancelled while in flight is aborted through its CancelFlag.
// At shutdown, calls still in flight after the grace period are aborted without a verdict:
// they stay processing and the next start fails them with WORKER_LOST (and retries them).

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "daemon/executor/http_transport.h"
#include "daemon/service/http_run_service.h"

namespace flare::daemon {

class Executor {
 public:
  Executor(HttpRunService& runs, std::unique_ptr<HttpTransport> transport, int concurrency);
  ~Executor();

  /// Recovers runs left by a previous flared and starts the pool.
  void Start();
  void Enqueue(const std::string& project_id, const std::string& run_id);
  /// Aborts the run if it is in flight here.
  void Cancel(const std::string& run_id);
  /// Waits up to `grace` for in-flight calls, aborts the rest, joins the pool.
  void Stop(std::chrono::milliseconds grace);

 private:
  void Work();
  void Perform(const PendingHttpRun& item);

  HttpRunService& runs_;
  std::unique_ptr<HttpTransport> transport_;
  int concurrency_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable idle_;
  std::deque<PendingHttpRun> queue_;
  std::set<std::string> queued_;  // run ids in queue_, so a run is never queued twice
  std::map<std::string, CancelFlag*> in_flight_;
  bool stopping_ = false;
  bool shutting_down_calls_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace flare::daemon

#pragma once
// What passes between the domain and the HTTP executor: a run taken for execution (the
// request it will make), and how its call ended. Plain data, plus the executor's side of
// beginning a run inside the transaction that made it ready.

#include <chrono>
#include <memory>
#include <string>

#include "daemon/store/records.h"
#include "daemon/transport/http_transport.h"

namespace flare::daemon {

struct HttpWork {
  std::string project_id;
  std::string job_id;
  std::string run_id;
  std::string lease_id;
  HttpCallSpec call;
  std::string success_status;
  int64_t queue_wait_ms = 0;
  /// The job's spec as the begin read it (null when it was built in memory): the finish
  /// hands it back to the writer's memory (RememberSpec), so that reading the job again does
  /// not parse it. In a burst of more jobs than that memory holds, the finish's parse was
  /// ~65 K of the writer's ~250 K instructions per run (bench/count_instructions.sh).
  std::shared_ptr<const ParsedSpec> spec = nullptr;
};

struct PendingHttpRun {
  std::string project_id;
  std::string run_id;
  /// The job's spec as the transaction that made the run ready read it (null when it did
  /// not read it): the begin hands it back to the writer's memory (RememberSpec) instead of
  /// parsing it again.
  std::shared_ptr<const ParsedSpec> spec = nullptr;
};

/// A call the executor performed, with how it ended.
struct FinishedCall {
  HttpWork work;
  HttpCallOutcome outcome;
  /// When the outcome came in; unset: when it is recorded. An outcome may wait before it is
  /// recorded (a burst of fires holds it, the writer's queue), and the run's completed_at
  /// says when the call ended.
  std::chrono::steady_clock::time_point ended_at{};
};

/// The executor's call slots, for an HTTP run that becomes ready while a slot is free: the
/// transaction that makes it ready also begins it (processing, new attempt, lease), and the
/// call starts right after that commit, not one Begin transaction later. Called on the
/// writer thread: every method only hands off (a counter, a queue) and never waits.
class HttpRunStarter {
 public:
  virtual ~HttpRunStarter() = default;
  /// Keeps a slot for one run begun in the current transaction; false when none is free
  /// (the run is then announced and waits its turn in the executor's queue).
  virtual bool TryReserve() = 0;
  /// The run holding a slot was begun and committed: perform the call.
  virtual void Begun(HttpWork work) = 0;
  /// The slot was not used (the begin failed, or its transaction rolled back).
  virtual void Release() = 0;
  /// The node whose executor performs the call: the run is begun in its name.
  virtual const std::string& node_id() const = 0;
  /// The timer's last transaction fired as many jobs as one takes, so more are due at
  /// this instant (true), or the burst is over (false). During a burst the calls'
  /// outcomes may wait to be recorded, so that the writer makes the remaining fires first.
  virtual void FiresPending(bool /*more*/) {}
};

}  // namespace flare::daemon

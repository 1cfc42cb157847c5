#pragma once
// The domain side of HTTP jobs: taking a pending HTTP run for execution (processing, new
// attempt, the request it will make) and recording how the call ended. The executor engine
// performs the call in between; HttpCallSpec/HttpCallOutcome are the plain data it passes.

#include <optional>
#include <string>
#include <vector>

#include "daemon/service/context.h"
#include "daemon/service/http_work.h"
#include "daemon/service/node_service.h"
#include "daemon/service/state_machine.h"

namespace flare::daemon {

/// What a finished call stores on its run, as column text: its trace, and its result when
/// the target answered (null otherwise).
struct RenderedCall {
  StoredJson trace;
  StoredJson result;
};

class HttpRunService {
 public:
  /// `node_id`: this flared's node (node_service.h), named on every run it begins.
  HttpRunService(ServiceContext context, std::string node_id)
      : ctx_(context), node_id_(std::move(node_id)) {}

  const std::string& node_id() const { return node_id_; }

  /// Takes the run if it is still a pending HTTP run; nullopt otherwise.
  Result<std::optional<HttpWork>> Begin(const std::string& project_id, const std::string& run_id);
  /// Begin for many runs in ONE transaction (the executor claims what is due in batches);
  /// each item answers alone: a run whose request cannot be built is its own error and
  /// stays pending, the others are taken. The outer error: the transaction failed, no run
  /// was taken.
  Result<std::vector<Result<std::optional<HttpWork>>>> BeginMany(
      const std::vector<PendingHttpRun>& items);
  /// Records the outcome, unless the run was cancelled, replaced or timed out meanwhile.
  Status Finish(const HttpWork& work, const HttpCallOutcome& outcome);
  /// Finish for many calls in ONE transaction.
  Status FinishMany(const std::vector<FinishedCall>& calls);
  /// The pending HTTP runs, read from the database (not the writer): what the executor
  /// performs when no notification announced a run, e.g. after a failed Begin.
  Result<std::vector<PendingHttpRun>> PendingRuns();
  /// At start: HTTP runs left processing by a node that is lost (a previous flared on this
  /// database, or a node that stopped or went silent) fail with WORKER_LOST and retry per
  /// policy; returns the pending HTTP runs to perform. Runs of live nodes are theirs.
  Result<std::vector<PendingHttpRun>> Recover();

 private:
  Result<std::optional<HttpWork>> BeginInTx(Tx& tx, const PendingHttpRun& item);
  void FinishInTx(Tx& tx, const FinishedCall& call, const RenderedCall& rendered);

  ServiceContext ctx_;
  std::string node_id_;
};

/// Fails with WORKER_LOST (retried per policy) at most `limit` (negative: all) processing
/// HTTP runs whose node is lost as seen from node `self` (node_service.h); how many.
int FailHttpRunsOfLostNodes(Tx& tx, StateMachine& machine, const std::string& self, int limit);

/// Takes `run`, a pending HTTP run of `job`, for execution inside `tx`: processing, a new
/// attempt and lease held by node `node_id`, and the request it will make. An error (its
/// request cannot be built) writes nothing: the run stays pending.
Result<HttpWork> BeginHttpRunInTx(Tx& tx, StateMachine& machine, JobRecord& job, RunRecord& run,
                                  const std::string& node_id);

}  // namespace flare::daemon

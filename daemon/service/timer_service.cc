#include "daemon/service/timer_service.h"

#include "daemon/service/http_run_service.h"
#include "daemon/service/scheduled_fires.h"
#include "daemon/service/state_machine.h"
#include "daemon/service/worker_service.h"
#include "daemon/store/job_store.h"
#include "daemon/store/node_store.h"
#include "daemon/store/run_store.h"
#include "daemon/store/worker_store.h"

namespace flare::daemon {
namespace {

// One transaction moves at most this many runs of each kind, so a backlog (say, after
// downtime) is drained in slices that leave room for API writes in between.
constexpr int kTimerSlice = 500;
// Fires of jobs due at one instant, per transaction. The HTTP runs a slice begins are called
// only once it commits, so a slice of 2,000 made the first call of a 1,000-job burst wait
// for all 1,000 fires; in slices of 100 the calls of one slice go out while the writer fires
// the next (1,000 `@every 1s` jobs: arrival lateness p50 99 → 67 ms, bench/RESULTS.md),
// for ten commits a burst instead of one.
constexpr int kFireSlice = 100;

}  // namespace

Result<DueOutcome> TimerService::ProcessDue() {
  // The heartbeat this transaction writes; last_beat_ moves only once it is committed (a
  // body may run again after a failed attempt, and must see the beat as still due).
  OptTime beat_written;
  // This pass fired a full slice: more jobs are due at this instant (a burst).
  bool more_fires = false;
  Result<DueOutcome> result = ctx_.writer.Run<DueOutcome>([&](Tx& tx) -> Result<DueOutcome> {
    beat_written.reset();
    DueOutcome outcome;
    StateMachine machine(tx, ctx_.notifier);
    auto due = tx.runs().DueWaiting(tx.now(), kTimerSlice);
    for (RunRecord& run : due) {
      auto job = tx.jobs().Find(run.project_id, run.job_id);
      if (!job) continue;
      machine.MakeReady(*job, run);
      ++outcome.made_ready;
    }
    auto expired = tx.runs().ExpiredLeases(tx.now(), kTimerSlice);
    for (RunRecord& run : expired) {
      auto job = tx.jobs().Find(run.project_id, run.job_id);
      if (!job) continue;
      AttemptFailure failure{
          "TIMEOUT",
          {{"type", "Timeout"},
           {"message", "no ack within the lease (" + std::to_string(run.timeout_seconds) + " s)"},
           {"stack_trace", nullptr}},
          true,
          std::nullopt};
      machine.FailAttempt(*job, run, failure, std::nullopt);
      ++outcome.timed_out;
    }
    for (const WorkerRecord& worker :
         tx.workers().SilentHoldingRuns(tx.now() - kWorkerSilenceLimit)) {
      for (RunRecord& run : tx.runs().HeldBy(worker.project_id, worker.worker_id)) {
        auto job = tx.jobs().Find(run.project_id, run.job_id);
        if (!job || run.is_http) continue;
        AttemptFailure failure{
            "WORKER_LOST",
            {{"type", "WorkerLost"},
             {"message", "worker " + worker.worker_id + " stopped sending heartbeats"},
             {"stack_trace", nullptr}},
            true,
            std::nullopt};
        machine.FailAttempt(*job, run, failure, std::nullopt);
        ++outcome.lost;
      }
    }
    int lost_http = FailHttpRunsOfLostNodes(tx, machine, node_.id, kTimerSlice);
    outcome.lost += lost_http;
    OptTime next_beat;
    if (node_.shares_database) {
      TimePoint beat = last_beat_;
      if (tx.now() >= beat + kNodeBeatInterval) {
        // Gone from the table (an operator's cleanup): back as alive, as at Join.
        NodeStore& nodes = tx.nodes();
        if (!nodes.Touch(node_.id, tx.now())) nodes.Insert({node_.id, started_, tx.now(), {}});
        beat = tx.now();
        beat_written = beat;
      }
      next_beat = beat + kNodeBeatInterval;
    }
    FireStats fires = FireDueJobs(tx, machine, ctx_.notifier, kFireSlice, started_);
    more_fires = fires.more;
    outcome.fired = fires.fired;
    outcome.more = due.size() == kTimerSlice || expired.size() == kTimerSlice || fires.more ||
                   lost_http == kTimerSlice;
    OptTime silent = tx.workers().OldestBusySeen();
    if (silent) *silent += kWorkerSilenceLimit + std::chrono::milliseconds(1);
    OptTime silent_node = tx.runs().OldestBusyNodeSeen(node_.id);
    if (silent_node) *silent_node += kNodeSilenceLimit + std::chrono::milliseconds(1);
    outcome.next_due =
        Earliest(Earliest(Earliest(tx.runs().EarliestWaitingDue(), tx.runs().EarliestLeaseExpiry()),
                          Earliest(silent, tx.jobs().EarliestNextRun())),
                 Earliest(silent_node, next_beat));
    return outcome;
  });
  if (result.ok() && beat_written) last_beat_ = *beat_written;
  if (HttpRunStarter* starter = ctx_.notifier.http_starter())
    starter->FiresPending(result.ok() && more_fires);
  return result;
}

}  // namespace flare::daemon

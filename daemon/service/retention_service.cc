#include "daemon/service/retention_service.h"

#include "daemon/service/job_factory.h"
#include "daemon/store/job_store.h"
#include "daemon/store/retention_store.h"

namespace flare::daemon {
namespace {

// Runs considered per state and slice.
constexpr int kRetentionSlice = 200;
// How long one slice may hold the writer (plus its commit); the rest waits for the next.
constexpr auto kSliceBudget = std::chrono::milliseconds(2);
// Events deleted per statement: a run with a huge history is cut down over several slices.
constexpr int kEventChunk = 500;

OptTime Plus(OptTime t, std::chrono::seconds d) {
  if (t) *t += d;
  return t;
}

}  // namespace

Result<RetentionOutcome> RetentionService::PruneSlice() {
  return ctx_.writer.Run<RetentionOutcome>([&](Tx& tx) -> Result<RetentionOutcome> {
    RetentionOutcome outcome;
    RetentionStore& retention = tx.retention();
    const auto started = std::chrono::steady_clock::now();
    // Once spent, the slice stops where it is and says there is more.
    auto spent = [&] {
      if (std::chrono::steady_clock::now() - started < kSliceBudget) return false;
      outcome.more = true;
      return true;
    };
    // Deletes events by chunks until none are left (true) or the slice is spent (false).
    auto drain = [&](int (RetentionStore::*delete_chunk)(const std::string&, int),
                     const std::string& key) {
      while ((retention.*delete_chunk)(key, kEventChunk) == kEventChunk) {
        if (spent()) return false;
      }
      return true;
    };
    auto prune = [&](std::initializer_list<RunState> states, std::chrono::seconds age) {
      if (outcome.more) return;
      auto runs = retention.FinishedRunsBefore(states, tx.now() - age, kRetentionSlice);
      for (const FinishedRun& finished : runs) {
        if (outcome.runs_deleted > 0 && spent()) return;  // each slice removes at least one
        auto job = tx.jobs().FindInAnyProject(finished.job_id);
        if (job && job->last_run_id == finished.run_id && !IsRecurring(*job)) {
          if (!drain(&RetentionStore::DeleteEventsOfJob, job->id)) return;
          retention.DeleteJobAndRuns(job->id);
          ++outcome.jobs_deleted;
        } else {
          if (!drain(&RetentionStore::DeleteEventsOfRun, finished.run_id)) return;
          retention.DeleteRun(finished.run_id);
        }
        ++outcome.runs_deleted;
      }
      outcome.more = outcome.more || runs.size() == kRetentionSlice;
    };
    // The terminal states, by the policy that keeps them.
    prune({RunState::kSucceeded}, policy_.succeeded);
    prune({RunState::kDeadLetter, RunState::kCancelled}, policy_.failed);
    OptTime a = Plus(retention.OldestFinished({RunState::kSucceeded}), policy_.succeeded);
    OptTime b = Plus(retention.OldestFinished({RunState::kDeadLetter, RunState::kCancelled}),
                     policy_.failed);
    outcome.next_due = Earliest(a, b);
    return outcome;
  });
}

}  // namespace flare::daemon

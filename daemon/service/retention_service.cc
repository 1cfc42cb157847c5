#include "daemon/service/retention_service.h"

#include "daemon/service/job_factory.h"
#include "daemon/store/job_repository.h"
#include "daemon/store/retention_repository.h"

namespace flare::daemon {
namespace {

constexpr int kSlice = 200;

OptTime Plus(OptTime t, std::chrono::seconds d) {
  if (t) *t += d;
  return t;
}

}  // namespace

Result<RetentionOutcome> RetentionService::PruneSlice() {
  return ctx_.writer.Run<RetentionOutcome>([&](Tx& tx) -> Result<RetentionOutcome> {
    RetentionOutcome outcome;
    auto& c = tx.conn();
    auto prune = [&](std::initializer_list<const char*> states, std::chrono::seconds age) {
      auto runs = FinishedRunsBefore(c, states, tx.now() - age, kSlice);
      outcome.more = outcome.more || runs.size() == kSlice;
      for (const FinishedRun& finished : runs) {
        auto job = FindJobInAnyProject(c, finished.job_id);
        if (job && job->last_run_id == finished.run_id && !IsRecurring(*job)) {
          DeleteJobWithHistory(c, job->id);
          ++outcome.jobs_deleted;
        } else {
          DeleteRunWithEvents(c, finished.run_id);
        }
        ++outcome.runs_deleted;
      }
    };
    prune({"succeeded"}, policy_.succeeded);
    prune({"dead_letter", "cancelled"}, policy_.failed);
    OptTime a = Plus(OldestFinished(c, {"succeeded"}), policy_.succeeded);
    OptTime b = Plus(OldestFinished(c, {"dead_letter", "cancelled"}), policy_.failed);
    outcome.next_due = !a ? b : !b ? a : std::min(*a, *b);
    return outcome;
  });
}

}  // namespace flare::daemon

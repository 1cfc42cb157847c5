#pragma once
// Retention (SPEC §8): terminal runs older than their age limit go, with their events.
// A one-off job whose latest run goes is deleted with its whole history; a recurring job
// is kept and only loses old runs. Work is done in small slices so the writer is never
// held long, and the next pass is planned for when the oldest kept run expires.

#include <chrono>
#include <initializer_list>

#include "common/result.h"
#include "daemon/service/context.h"

namespace flare::daemon {

struct RetentionPolicy {
  std::chrono::seconds succeeded{7 * 86400};
  std::chrono::seconds failed{90 * 86400};  // dead_letter and cancelled
};

struct RetentionOutcome {
  int runs_deleted = 0;
  int jobs_deleted = 0;
  bool more = false;
  OptTime next_due;
};

/// What the scheduler thread needs of retention; a seam so its tests need no database.
class RetentionPruner {
 public:
  virtual ~RetentionPruner() = default;
  /// Prunes one small slice of what expired; `more` says another slice is waiting.
  virtual Result<RetentionOutcome> PruneSlice() = 0;
};

class RetentionService final : public RetentionPruner {
 public:
  RetentionService(ServiceContext context, RetentionPolicy policy)
      : ctx_(context), policy_(policy) {}
  /// Prunes one slice at the clock's "now", in one short transaction.
  Result<RetentionOutcome> PruneSlice() override;

 private:
  ServiceContext ctx_;
  RetentionPolicy policy_;
};

}  // namespace flare::daemon

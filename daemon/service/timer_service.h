#pragma once
// What becomes due with time: waiting runs whose time came (run_at, retry delay), leases
// that ran out (TIMEOUT), workers that went silent (WORKER_LOST). The scheduler thread calls
// ProcessDue at the earliest due time; it is plain logic over a clock, so tests drive it
// with a fake clock instead of sleeping.

#include "common/result.h"
#include "daemon/service/context.h"

namespace flare::daemon {

struct DueOutcome {
  int made_ready = 0;
  int timed_out = 0;
  int lost = 0;
  int fired = 0;
  bool more = false;  // a batch limit was hit: call again at once
  OptTime next_due;   // the earliest time anything else becomes due
};

/// What the scheduler thread needs of the timer; a seam so its tests need no database.
class DueProcessor {
 public:
  virtual ~DueProcessor() = default;
  /// Moves everything due at the clock's "now", in one transaction.
  virtual Result<DueOutcome> ProcessDue() = 0;
};

class TimerService final : public DueProcessor {
 public:
  explicit TimerService(ServiceContext context) : ctx_(context), started_(context.clock.Now()) {}
  /// Moves everything due at the clock's "now", in one transaction.
  Result<DueOutcome> ProcessDue() override;

 private:
  ServiceContext ctx_;
  TimePoint started_;  // fires due before this were missed while flared was down
};

}  // namespace flare::daemon

#pragma once
// What becomes due with time: waiting runs whose time came (run_at, retry delay), leases
// that ran out (TIMEOUT), workers that went silent (WORKER_LOST), HTTP runs of flared nodes
// that stopped or went silent (WORKER_LOST), and this node's own heartbeat when it shares
// the database with others (node_service.h). The scheduler thread calls
// ProcessDue at the earliest due time; it is plain logic over a clock, so tests drive it
// with a fake clock instead of sleeping.

#include "common/result.h"
#include "daemon/service/context.h"
#include "daemon/service/node_service.h"

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
  TimerService(ServiceContext context, NodeIdentity node)
      : ctx_(context),
        node_(std::move(node)),
        started_(context.clock.Now()),
        last_beat_(started_) {}
  /// Moves everything due at the clock's "now", in one transaction.
  Result<DueOutcome> ProcessDue() override;

 private:
  ServiceContext ctx_;
  NodeIdentity node_;
  TimePoint started_;    // fires due before this were missed while flared was down
  TimePoint last_beat_;  // this node's last heartbeat (NodeService::Join wrote the first)
};

}  // namespace flare::daemon

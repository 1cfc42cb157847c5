#pragma once
// Watching the event log as it is written. Every event of SPEC §2 is appended by
// StateMachine::Record, inside the transaction of the change it describes; observers see it
// there. That is what makes the side effects exact: a webhook delivery row is written in the
// same transaction as the state change that causes it (both commit or neither does), and
// counters move with the work they count.
//
// An observer runs on the writer thread, inside the transaction: it may read and write rows
// through `tx` and register after-commit hand-offs (Tx::OnCommit), but it must never block or
// do I/O of its own — the writer's rule (writer.h) applies to it in full.

#include <vector>

#include "daemon/store/records.h"
#include "daemon/store/tx.h"

namespace flare::daemon {

class EventObserver {
 public:
  virtual ~EventObserver() = default;
  /// `event` was just appended for `job` (and `run`, when the event is about one), as they
  /// are at that moment: the terminal events (succeeded, retry_scheduled, dead_lettered,
  /// cancelled) and started come after their change is applied.
  virtual void OnEvent(Tx& tx, const JobRecord& job, const RunRecord* run,
                       const EventRecord& event) = 0;
};

/// Several observers behind one: each sees every event, in the order they were added.
class EventObservers final : public EventObserver {
 public:
  void Add(EventObserver& observer) { observers_.push_back(&observer); }
  void OnEvent(Tx& tx, const JobRecord& job, const RunRecord* run,
               const EventRecord& event) override {
    for (EventObserver* observer : observers_) observer->OnEvent(tx, job, run, event);
  }

 private:
  std::vector<EventObserver*> observers_;
};

}  // namespace flare::daemon

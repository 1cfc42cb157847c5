#pragma once
// How the domain tells the engines that work appeared. Calls arrive after the commit that
// made the work visible, on the writer thread: implementations must only signal, never block.
// The one exception is events(): the observers it returns see each event inside its
// transaction (event_observer.h).

#include <string>

#include "common/time_format.h"
#include "daemon/service/event_observer.h"
#include "daemon/service/http_work.h"
#include "daemon/service/parked_polls.h"

namespace flare::daemon {

class WorkNotifier {
 public:
  virtual ~WorkNotifier() = default;
  /// A worker run became pending in `queue` of `project_id`.
  virtual void WorkerRunReady(const std::string& project_id, const std::string& queue,
                              const std::string& job_type) = 0;
  /// An HTTP run became pending: the executor should take it.
  virtual void HttpRunReady(const PendingHttpRun& run) = 0;
  /// Something is due at `t`: the timer must wake no later than that.
  virtual void WakeAt(TimePoint t) = 0;
  /// A processing run was cancelled: abort it if it is being performed here.
  virtual void RunCancelled(const std::string& run_id) = 0;
  /// The executor's call slots, for HTTP runs begun in the transaction that makes them
  /// ready; none (every HTTP run is announced with HttpRunReady) by default.
  virtual HttpRunStarter* http_starter() { return nullptr; }
  /// The dispatcher's parked long-polls, handed worker runs claimed in the transaction that
  /// makes them ready; none (every worker run is announced with WorkerRunReady) by default.
  virtual ParkedPolls* parked_polls() { return nullptr; }
  /// Who watches the event log (webhooks, live streams, counters); none by default.
  virtual EventObserver* events() { return nullptr; }
  /// `job`'s state mirror was just saved inside `tx` (also for changes that append no
  /// event: a run becoming due, progress in a heartbeat). Like an observer it may only
  /// register after-commit hand-offs; job snapshot streams wake from it.
  virtual void JobSaved(Tx& tx, const JobRecord& job) {
    (void)tx;
    (void)job;
  }
};

/// For tests and tools that need no engines.
class NullNotifier final : public WorkNotifier {
 public:
  void WorkerRunReady(const std::string&, const std::string&, const std::string&) override {}
  void HttpRunReady(const PendingHttpRun&) override {}
  void WakeAt(TimePoint) override {}
  void RunCancelled(const std::string&) override {}
};

}  // namespace flare::daemon

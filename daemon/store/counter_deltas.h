#pragma once
// The usage and metrics counters' changes, summed in memory and written as one upsert per
// counter row.
//
// Every run created or moved changes up to four counter rows (queue depth, minute stats,
// daily usage, active jobs). Written one upsert per change (triggers did it per inserted
// row at first), a batch of 1,000 creates cost 4,000 upserts of the same four rows:
// about 20% of flared's CPU per created job. The writer instead gives each group
// transaction one CounterDeltas (Connection::deferred_counters): the repositories add to
// it, each operation's share is kept or dropped with its savepoint, and the group's sums
// are written just before COMMIT, so readers see the counters move with the rows, as
// before. Without a writer group (tools, tests, migrations) a change is written at once.

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "daemon/store/records.h"

namespace flare::daemon {

class Connection;  // SQLite's (connection.h); other backends write kept() themselves

class CounterDeltas {
 public:
  /// A run row was inserted: it enters its state in its queue, and counts as created.
  void RunCreated(const RunRecord& run);
  /// A run moved from `old_state` (in `old_queue`) to run.state: queue depths, and the
  /// outcome and usage rows when the move ends an attempt.
  void RunMoved(const RunRecord& run, const std::string& old_queue, RunState old_state);
  /// A job row was inserted enabled and not deleted.
  void JobActivated(const std::string& project_id);

  /// The current operation's changes stand (its savepoint was released) or not.
  void KeepOperation();
  void DropOperation();
  /// Writes the kept changes to SQLite (one-row upserts) and forgets them.
  void Flush(Connection& c);

  struct QueueDelta {
    int64_t current = 0, entered = 0;
    QueueDelta& operator+=(const QueueDelta& d) {
      current += d.current;
      entered += d.entered;
      return *this;
    }
  };
  struct MinuteDelta {
    int64_t created = 0, succeeded = 0, failed = 0, retried = 0, cancelled = 0;
    MinuteDelta& operator+=(const MinuteDelta& d) {
      created += d.created;
      succeeded += d.succeeded;
      failed += d.failed;
      retried += d.retried;
      cancelled += d.cancelled;
      return *this;
    }
  };
  struct DayDelta {
    int64_t runs = 0, succeeded = 0, failed = 0;
    DayDelta& operator+=(const DayDelta& d) {
      runs += d.runs;
      succeeded += d.succeeded;
      failed += d.failed;
      return *this;
    }
  };
  struct Sums {
    std::map<std::tuple<std::string, std::string, RunState>, QueueDelta> queues;  // project, queue
    std::map<std::pair<std::string, int64_t>, MinuteDelta> minutes;
    std::map<std::pair<std::string, int64_t>, DayDelta> days;
    std::map<std::string, int64_t> active_jobs;
    bool empty() const {
      return queues.empty() && minutes.empty() && days.empty() && active_jobs.empty();
    }
  };
  /// The changes of the operations kept so far (another backend's flush reads them, then
  /// calls Clear).
  const Sums& kept() const { return kept_; }
  void Clear() { kept_ = Sums{}; }

 private:
  static void Merge(Sums& into, const Sums& from);

  Sums operation_;  // the operation in progress
  Sums kept_;       // operations whose savepoints were released
};

/// Records the changes on the connection's deferred counters when a writer group is open,
/// else writes them at once.
void CountRunCreated(Connection& c, const RunRecord& run);
void CountRunMoved(Connection& c, const RunRecord& run, const std::string& old_queue,
                   RunState old_state);
void CountJobActivated(Connection& c, const std::string& project_id);

}  // namespace flare::daemon

#pragma once
// The storage port for one resource: Runs: the work queue, leases, the timer's queries
// (run_repository.h). Services reach it through their transaction (Tx::runs()) or a read lease;
// each backend implements it (SQLite: SqliteRunStore in run_repository.h).

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/records.h"

namespace flare::daemon {

struct RunFilter {
  std::string job_id;
  std::optional<RunState> state;  // any when absent
  std::string trigger;
};

struct CancelNotice {
  std::string job_id;
  std::string run_id;
};

class RunStore {
 public:
  virtual ~RunStore() = default;

  /// The rowid is the database's: SQLite sets run.rowid here; PostgreSQL sends the insert
  /// with the operation's next statement and leaves it 0 (read the run back for it).
  virtual void Insert(RunRecord& run) = 0;
  /// Writes every mutable column of `run` (found by id): not what a run is born with and keeps
  /// (its job, trigger, payload, creation time), so the indexes on those are left alone.
  virtual void Save(const RunRecord& run) = 0;
  virtual std::optional<RunRecord> Find(const std::string& project_id,
                                        const std::string& run_id) = 0;
  /// The runs of the project among `ids`, in no set order: one read for the runs a batch
  /// names, each locked as Find locks it.
  virtual std::vector<RunRecord> FindMany(const std::string& project_id,
                                          const std::vector<std::string>& ids) = 0;
  virtual std::optional<RunRecord> FindOfJob(const std::string& job_id,
                                             const std::string& run_id) = 0;
  /// Runs of a job in any of `states` (e.g. all scheduled ones, to cancel them).
  virtual std::vector<RunRecord> OfJobInState(const std::string& job_id,
                                              std::initializer_list<RunState> states) = 0;

  /// Pending worker runs a poll may claim, in claim order (priority desc, due time, age).
  virtual std::vector<RunRecord> Claimable(const std::string& project_id,
                                           const std::vector<std::string>& queues,
                                           const std::vector<std::string>& job_types,
                                           int limit) = 0;
  /// Waiting runs (scheduled with a due time, or failed with a retry time) due at `now`.
  virtual std::vector<RunRecord> DueWaiting(TimePoint now, int limit) = 0;
  /// Processing runs whose lease ran out before `now`.
  virtual std::vector<RunRecord> ExpiredLeases(TimePoint now, int limit) = 0;
  /// Processing worker runs held by `worker_id`.
  virtual std::vector<RunRecord> HeldBy(const std::string& project_id,
                                        const std::string& worker_id) = 0;
  /// Processing worker (not HTTP) runs of one job held by `worker_id`, oldest first.
  virtual std::vector<RunRecord> OfJobHeldBy(const std::string& job_id,
                                             const std::string& worker_id) = 0;
  /// Up to `limit` runs, newest first, strictly after `cursor` when given.
  virtual std::vector<RunRecord> List(const std::string& project_id, const RunFilter& filter,
                                      const std::optional<PageCursor>& cursor, int limit) = 0;
  /// Cancelled runs `worker_id` still has to be told about; clears the flag.
  virtual std::vector<CancelNotice> TakeCancelNotices(const std::string& project_id,
                                                      const std::string& worker_id) = 0;
  /// Processing HTTP runs whose node is lost: not `self`, and stopped, unknown (or none named),
  /// or not seen since `alive_since` (schema.cc, "nodes"). At most `limit`; negative: all.
  virtual std::vector<RunRecord> HttpRunsOfLostNodes(const std::string& self, TimePoint alive_since,
                                                     int limit) = 0;
  /// The earliest last-seen time among other live nodes performing HTTP runs: the next moment
  /// one of them may turn out lost.
  virtual OptTime OldestBusyNodeSeen(const std::string& self) = 0;
  /// HTTP runs in state pending (executor recovery at start).
  virtual std::vector<RunRecord> PendingHttpRuns() = 0;
  /// The earliest due time of a waiting run, and the earliest lease expiry.
  virtual OptTime EarliestWaitingDue() = 0;
  virtual OptTime EarliestLeaseExpiry() = 0;
};

}  // namespace flare::daemon

#pragma once
// SQL for runs: the work queue (claims), the timer's due runs and leases, and lookups.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/records.h"
#include "daemon/store/run_store.h"

namespace flare::daemon {

void InsertRun(Connection& c, RunRecord& run);  // sets run.rowid
/// Writes every mutable column of `run` (found by id): not what a run is born with and keeps
/// (its job, trigger, payload, creation time), so the indexes on those are left alone.
void SaveRun(Connection& c, const RunRecord& run);
std::optional<RunRecord> FindRun(Connection& c, const std::string& project_id,
                                 const std::string& run_id);
std::optional<RunRecord> FindRunOfJob(Connection& c, const std::string& job_id,
                                      const std::string& run_id);
/// Runs of a job in any of `states` (e.g. all scheduled ones, to cancel them).
std::vector<RunRecord> RunsOfJobInState(Connection& c, const std::string& job_id,
                                        std::initializer_list<RunState> states);

/// Pending worker runs a poll may claim, in claim order (priority desc, due time, age).
std::vector<RunRecord> ClaimableRuns(Connection& c, const std::string& project_id,
                                     const std::vector<std::string>& queues,
                                     const std::vector<std::string>& job_types, int limit);
/// Waiting runs (scheduled with a due time, or failed with a retry time) due at `now`.
std::vector<RunRecord> DueWaitingRuns(Connection& c, TimePoint now, int limit);
/// Processing runs whose lease ran out before `now`.
std::vector<RunRecord> ExpiredLeases(Connection& c, TimePoint now, int limit);
/// Processing worker runs held by `worker_id`.
std::vector<RunRecord> RunsHeldBy(Connection& c, const std::string& project_id,
                                  const std::string& worker_id);
/// Processing worker (not HTTP) runs of one job held by `worker_id`, oldest first.
std::vector<RunRecord> RunsOfJobHeldBy(Connection& c, const std::string& job_id,
                                       const std::string& worker_id);
struct RunFilter {
  std::string job_id;
  std::optional<RunState> state;  // any when absent
  std::string trigger;
};
/// Up to `limit` runs, newest first, strictly after `cursor` when given.
std::vector<RunRecord> ListRuns(Connection& c, const std::string& project_id,
                                const RunFilter& filter, const std::optional<PageCursor>& cursor,
                                int limit);
struct CancelNotice {
  std::string job_id;
  std::string run_id;
};
/// Cancelled runs `worker_id` still has to be told about; clears the flag.
std::vector<CancelNotice> TakeCancelNotices(Connection& c, const std::string& project_id,
                                            const std::string& worker_id);
/// HTTP runs in state processing / pending (executor recovery at start).
/// Processing HTTP runs whose node is lost: not `self`, and stopped, unknown (or none named),
/// or not seen since `alive_since` (schema.cc, "nodes"). At most `limit`; negative: all.
std::vector<RunRecord> HttpRunsOfLostNodes(Connection& c, const std::string& self,
                                           TimePoint alive_since, int limit);
/// The earliest last-seen time among other live nodes performing HTTP runs: the next moment
/// one of them may turn out lost.
OptTime OldestBusyNodeSeen(Connection& c, const std::string& self);
std::vector<RunRecord> PendingHttpRuns(Connection& c);
/// The earliest due time of a waiting run, and the earliest lease expiry.
OptTime EarliestWaitingDue(Connection& c);
OptTime EarliestLeaseExpiry(Connection& c);

/// The SQLite RunStore (stores.h): the functions above over one connection.
class SqliteRunStore final : public RunStore {
 public:
  explicit SqliteRunStore(Connection& c) : c_(c) {}

 private:
  [[maybe_unused]] Connection& c_;
};

}  // namespace flare::daemon

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

// The contract of each function is on its RunStore method (run_store.h).
void InsertRun(Connection& c, RunRecord& run);
void SaveRun(Connection& c, const RunRecord& run);
std::optional<RunRecord> FindRun(Connection& c, const std::string& project_id,
                                 const std::string& run_id);
std::optional<RunRecord> FindRunOfJob(Connection& c, const std::string& job_id,
                                      const std::string& run_id);
std::vector<RunRecord> RunsOfJobInState(Connection& c, const std::string& job_id,
                                        std::initializer_list<RunState> states);
std::vector<RunRecord> ClaimableRuns(Connection& c, const std::string& project_id,
                                     const std::vector<std::string>& queues,
                                     const std::vector<std::string>& job_types, int limit);
std::vector<RunRecord> DueWaitingRuns(Connection& c, TimePoint now, int limit);
std::vector<RunRecord> ExpiredLeases(Connection& c, TimePoint now, int limit);
std::vector<RunRecord> RunsHeldBy(Connection& c, const std::string& project_id,
                                  const std::string& worker_id);
std::vector<RunRecord> RunsOfJobHeldBy(Connection& c, const std::string& job_id,
                                       const std::string& worker_id);
std::vector<RunRecord> ListRuns(Connection& c, const std::string& project_id,
                                const RunFilter& filter, const std::optional<PageCursor>& cursor,
                                int limit);
std::vector<CancelNotice> TakeCancelNotices(Connection& c, const std::string& project_id,
                                            const std::string& worker_id);
std::vector<RunRecord> HttpRunsOfLostNodes(Connection& c, const std::string& self,
                                           TimePoint alive_since, int limit);
OptTime OldestBusyNodeSeen(Connection& c, const std::string& self);
std::vector<RunRecord> PendingHttpRuns(Connection& c);
OptTime EarliestWaitingDue(Connection& c);
OptTime EarliestLeaseExpiry(Connection& c);

/// The SQLite RunStore (stores.h): the functions above over one connection.
class SqliteRunStore final : public RunStore {
 public:
  explicit SqliteRunStore(Connection& c) : c_(c) {}

  void Insert(RunRecord& run) override { InsertRun(c_, run); }
  void Save(const RunRecord& run) override { SaveRun(c_, run); }
  std::optional<RunRecord> Find(const std::string& project_id, const std::string& run_id) override {
    return FindRun(c_, project_id, run_id);
  }
  // In-process lookups cost no round trip: one Find per id.
  std::vector<RunRecord> FindMany(const std::string& project_id,
                                  const std::vector<std::string>& ids) override {
    std::vector<RunRecord> found;
    found.reserve(ids.size());
    for (const std::string& id : ids) {
      if (auto run = FindRun(c_, project_id, id)) found.push_back(std::move(*run));
    }
    return found;
  }
  std::optional<RunRecord> FindOfJob(const std::string& job_id,
                                     const std::string& run_id) override {
    return FindRunOfJob(c_, job_id, run_id);
  }
  std::vector<RunRecord> OfJobInState(const std::string& job_id,
                                      std::initializer_list<RunState> states) override {
    return RunsOfJobInState(c_, job_id, states);
  }
  std::vector<RunRecord> Claimable(const std::string& project_id,
                                   const std::vector<std::string>& queues,
                                   const std::vector<std::string>& job_types, int limit) override {
    return ClaimableRuns(c_, project_id, queues, job_types, limit);
  }
  std::vector<RunRecord> DueWaiting(TimePoint now, int limit) override {
    return DueWaitingRuns(c_, now, limit);
  }
  std::vector<RunRecord> ExpiredLeases(TimePoint now, int limit) override {
    return flare::daemon::ExpiredLeases(c_, now, limit);
  }
  std::vector<RunRecord> HeldBy(const std::string& project_id,
                                const std::string& worker_id) override {
    return RunsHeldBy(c_, project_id, worker_id);
  }
  std::vector<RunRecord> OfJobHeldBy(const std::string& job_id,
                                     const std::string& worker_id) override {
    return RunsOfJobHeldBy(c_, job_id, worker_id);
  }
  std::vector<RunRecord> List(const std::string& project_id, const RunFilter& filter,
                              const std::optional<PageCursor>& cursor, int limit) override {
    return ListRuns(c_, project_id, filter, cursor, limit);
  }
  std::vector<CancelNotice> TakeCancelNotices(const std::string& project_id,
                                              const std::string& worker_id) override {
    return flare::daemon::TakeCancelNotices(c_, project_id, worker_id);
  }
  std::vector<RunRecord> HttpRunsOfLostNodes(const std::string& self, TimePoint alive_since,
                                             int limit) override {
    return flare::daemon::HttpRunsOfLostNodes(c_, self, alive_since, limit);
  }
  OptTime OldestBusyNodeSeen(const std::string& self) override {
    return flare::daemon::OldestBusyNodeSeen(c_, self);
  }
  std::vector<RunRecord> PendingHttpRuns() override { return flare::daemon::PendingHttpRuns(c_); }
  OptTime EarliestWaitingDue() override { return flare::daemon::EarliestWaitingDue(c_); }
  OptTime EarliestLeaseExpiry() override { return flare::daemon::EarliestLeaseExpiry(c_); }

 private:
  Connection& c_;
};

}  // namespace flare::daemon

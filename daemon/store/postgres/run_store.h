#pragma once
// The PostgreSQL RunStore (store/run_store.h, whose comments are the contract; the SQLite
// one is in store/run_repository.*). session.h says what a write transaction locks.

#include "daemon/store/postgres/session.h"
#include "daemon/store/run_store.h"

namespace flare::daemon::postgres {

class PgRunStore final : public RunStore {
 public:
  explicit PgRunStore(Session session) : session_(session) {}
  void Insert(RunRecord& run) override;
  void Save(const RunRecord& run) override;
  std::optional<RunRecord> Find(const std::string& project_id, const std::string& run_id) override;
  std::optional<RunRecord> FindOfJob(const std::string& job_id, const std::string& run_id) override;
  std::vector<RunRecord> OfJobInState(const std::string& job_id,
                                      std::initializer_list<RunState> states) override;
  std::vector<RunRecord> Claimable(const std::string& project_id,
                                   const std::vector<std::string>& queues,
                                   const std::vector<std::string>& job_types, int limit) override;
  std::vector<RunRecord> DueWaiting(TimePoint now, int limit) override;
  std::vector<RunRecord> ExpiredLeases(TimePoint now, int limit) override;
  std::vector<RunRecord> HeldBy(const std::string& project_id,
                                const std::string& worker_id) override;
  std::vector<RunRecord> OfJobHeldBy(const std::string& job_id,
                                     const std::string& worker_id) override;
  std::vector<RunRecord> List(const std::string& project_id, const RunFilter& filter,
                              const std::optional<PageCursor>& cursor, int limit) override;
  std::vector<CancelNotice> TakeCancelNotices(const std::string& project_id,
                                              const std::string& worker_id) override;
  std::vector<RunRecord> HttpRunsOfLostNodes(const std::string& self, TimePoint alive_since,
                                             int limit) override;
  OptTime OldestBusyNodeSeen(const std::string& self) override;
  std::vector<RunRecord> PendingHttpRuns() override;
  OptTime EarliestWaitingDue() override;
  OptTime EarliestLeaseExpiry() override;

 private:
  Session session_;
};

}  // namespace flare::daemon::postgres

#pragma once
// The PostgreSQL RunStore (store/run_store.h, whose comments are the contract; the SQLite
// one is in store/run_repository.*). session.h says what a write transaction locks.

#include <unordered_map>

#include "daemon/store/postgres/session.h"
#include "daemon/store/run_store.h"

namespace flare::daemon::postgres {

class PgRunStore final : public RunStore {
 public:
  explicit PgRunStore(Session session) : session_(session) {}
  void Insert(RunRecord& run) override;
  void Save(const RunRecord& run) override;
  std::optional<RunRecord> Find(const std::string& project_id, const std::string& run_id) override;
  std::vector<RunRecord> FindMany(const std::string& project_id,
                                  const std::vector<std::string>& ids) override;
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
  // What a run was when this write transaction locked it (read it FOR UPDATE or inserted
  // it), kept up to date by its saves: the counters' "from" side. Nobody else can change a
  // locked row before the commit, so a save of a run known here needs no answer from the
  // database and is sent with the next statement; a save of any other run reads its stored
  // state back in the same statement.
  struct LockedAs {
    RunState state;
    std::string queue;
  };
  std::vector<RunRecord> Locked(std::vector<RunRecord> runs);
  std::optional<RunRecord> Locked(std::optional<RunRecord> run);

  Session session_;
  std::unordered_map<std::string, LockedAs> locked_;
};

}  // namespace flare::daemon::postgres

#pragma once
// The PostgreSQL RetentionStore (store/retention_store.h, whose comments are the contract; the
// SQLite one is in store/retention_repository.*). session.h says what a write transaction locks.

#include "daemon/store/postgres/session.h"
#include "daemon/store/retention_store.h"

namespace flare::daemon::postgres {

class PgRetentionStore final : public RetentionStore {
 public:
  explicit PgRetentionStore(Session session) : session_(session) {}
  std::vector<FinishedRun> FinishedRunsBefore(std::initializer_list<RunState> states,
                                              TimePoint cutoff, int limit) override;
  int DeleteEventsOfRun(const std::string& run_id, int limit) override;
  int DeleteEventsOfJob(const std::string& job_id, int limit) override;
  void DeleteRun(const std::string& run_id) override;
  void DeleteJobAndRuns(const std::string& job_id) override;
  OptTime OldestFinished(std::initializer_list<RunState> states) override;

 private:
  Session session_;
};

}  // namespace flare::daemon::postgres

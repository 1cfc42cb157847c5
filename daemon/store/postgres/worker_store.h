#pragma once
// The PostgreSQL WorkerStore (store/worker_store.h, whose comments are the contract; the SQLite
// one is in store/worker_repository.*). session.h says what a write transaction locks.

#include "daemon/store/postgres/session.h"
#include "daemon/store/worker_store.h"

namespace flare::daemon::postgres {

class PgWorkerStore final : public WorkerStore {
 public:
  explicit PgWorkerStore(Session session) : session_(session) {}
  void Upsert(const WorkerRecord& worker) override;
  void Touch(const std::string& project_id, const std::string& worker_id, TimePoint now) override;
  void TouchOrRegister(const WorkerRecord& worker) override;
  std::vector<WorkerRecord> List(const std::string& project_id) override;
  std::vector<WorkerRecord> SilentHoldingRuns(TimePoint cutoff) override;
  OptTime OldestBusySeen() override;

 private:
  Session session_;
};

}  // namespace flare::daemon::postgres

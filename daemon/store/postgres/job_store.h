#pragma once
// The PostgreSQL JobStore (store/job_store.h, whose comments are the contract; the SQLite
// one is in store/job_repository.*). session.h says what a write transaction locks.

#include "daemon/store/job_store.h"
#include "daemon/store/postgres/session.h"
#include "daemon/store/stored_spec.h"

namespace flare::daemon::postgres {

class PgJobStore final : public JobStore {
 public:
  explicit PgJobStore(Session session) : session_(session) {}
  void Insert(JobRecord& job) override;
  void Save(const JobRecord& job) override;
  void SaveState(const JobRecord& job) override;
  void SaveEnabled(const JobRecord& job) override;
  std::optional<JobRecord> Find(const std::string& project_id,
                                const std::string& id_or_slug) override;
  std::vector<JobRecord> FindMany(const std::string& project_id,
                                  const std::vector<std::string>& ids) override;
  void RememberSpec(const std::shared_ptr<const ParsedSpec>& spec) override {
    flare::daemon::RememberSpec(spec);
  }
  std::optional<JobRecord> FindInAnyProject(const std::string& id) override;
  bool SlugTaken(const std::string& project_id, const std::string& slug,
                 const std::string& except_job_id) override;
  std::vector<JobRecord> List(const std::string& project_id, const JobFilter& filter,
                              const std::optional<PageCursor>& cursor, int limit) override;
  std::vector<JobRecord> ChildrenInState(const std::string& parent_job_id, JobState state) override;
  std::vector<std::string> ParentsWithChildrenInState(
      const std::vector<std::string>& parent_job_ids, JobState state) override;
  std::vector<JobRecord> DueScheduled(TimePoint now, int limit) override;
  OptTime EarliestNextRun() override;
  std::optional<IdempotencyRecord> FindIdempotencyKey(const std::string& project_id,
                                                      const std::string& key) override;
  void InsertIdempotencyKey(const std::string& project_id, const std::string& key,
                            const IdempotencyRecord& record, TimePoint now) override;

 private:
  Session session_;
};

}  // namespace flare::daemon::postgres

#pragma once
// SQL for jobs and idempotency keys. Every query takes the project: tenancy is enforced
// here, so no caller can read another project's job by accident.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/job_store.h"
#include "daemon/store/records.h"
#include "daemon/store/stored_spec.h"

namespace flare::daemon {

// The contract of each function is on its JobStore method (job_store.h).
void InsertJob(Connection& c, JobRecord& job);
void SaveJob(Connection& c, const JobRecord& job);
void SaveJobState(Connection& c, const JobRecord& job);
void SaveJobEnabled(Connection& c, const JobRecord& job);
std::optional<JobRecord> FindJob(Connection& c, const std::string& project_id,
                                 const std::string& id_or_slug);
std::optional<JobRecord> FindJobInAnyProject(Connection& c, const std::string& id);
bool SlugTaken(Connection& c, const std::string& project_id, const std::string& slug,
               const std::string& except_job_id);
std::vector<JobRecord> ListJobs(Connection& c, const std::string& project_id,
                                const JobFilter& filter, const std::optional<PageCursor>& cursor,
                                int limit);
std::vector<JobRecord> ChildrenInState(Connection& c, const std::string& parent_job_id,
                                       JobState state);
std::vector<JobRecord> DueScheduledJobs(Connection& c, TimePoint now, int limit);
OptTime EarliestNextRun(Connection& c);
std::optional<IdempotencyRecord> FindIdempotencyKey(Connection& c, const std::string& project_id,
                                                    const std::string& key);
void InsertIdempotencyKey(Connection& c, const std::string& project_id, const std::string& key,
                          const IdempotencyRecord& record, TimePoint now);

/// The SQLite JobStore (stores.h): the functions above over one connection.
class SqliteJobStore final : public JobStore {
 public:
  explicit SqliteJobStore(Connection& c) : c_(c) {}

  void Insert(JobRecord& job) override { InsertJob(c_, job); }
  void Save(const JobRecord& job) override { SaveJob(c_, job); }
  void SaveState(const JobRecord& job) override { SaveJobState(c_, job); }
  void SaveEnabled(const JobRecord& job) override { SaveJobEnabled(c_, job); }
  std::optional<JobRecord> Find(const std::string& project_id,
                                const std::string& id_or_slug) override {
    return FindJob(c_, project_id, id_or_slug);
  }
  // In-process lookups cost no round trip: one Find per id.
  std::vector<JobRecord> FindMany(const std::string& project_id,
                                  const std::vector<std::string>& ids) override {
    std::vector<JobRecord> found;
    found.reserve(ids.size());
    for (const std::string& id : ids) {
      if (auto job = FindJob(c_, project_id, id); job && job->id == id) {
        found.push_back(std::move(*job));
      }
    }
    return found;
  }
  void RememberSpec(const std::shared_ptr<const ParsedSpec>& spec) override {
    flare::daemon::RememberSpec(spec);
  }
  std::optional<JobRecord> FindInAnyProject(const std::string& id) override {
    return FindJobInAnyProject(c_, id);
  }
  bool SlugTaken(const std::string& project_id, const std::string& slug,
                 const std::string& except_job_id) override {
    return flare::daemon::SlugTaken(c_, project_id, slug, except_job_id);
  }
  std::vector<JobRecord> List(const std::string& project_id, const JobFilter& filter,
                              const std::optional<PageCursor>& cursor, int limit) override {
    return ListJobs(c_, project_id, filter, cursor, limit);
  }
  // In-process lookups cost no round trip: one ChildrenInState per parent.
  std::vector<std::string> ParentsWithChildrenInState(
      const std::vector<std::string>& parent_job_ids, JobState state) override {
    std::vector<std::string> parents;
    for (const std::string& id : parent_job_ids) {
      if (!flare::daemon::ChildrenInState(c_, id, state).empty()) parents.push_back(id);
    }
    return parents;
  }
  std::vector<JobRecord> ChildrenInState(const std::string& parent_job_id,
                                         JobState state) override {
    return flare::daemon::ChildrenInState(c_, parent_job_id, state);
  }
  std::vector<JobRecord> DueScheduled(TimePoint now, int limit) override {
    return DueScheduledJobs(c_, now, limit);
  }
  OptTime EarliestNextRun() override { return flare::daemon::EarliestNextRun(c_); }
  std::optional<IdempotencyRecord> FindIdempotencyKey(const std::string& project_id,
                                                      const std::string& key) override {
    return flare::daemon::FindIdempotencyKey(c_, project_id, key);
  }
  void InsertIdempotencyKey(const std::string& project_id, const std::string& key,
                            const IdempotencyRecord& record, TimePoint now) override {
    flare::daemon::InsertIdempotencyKey(c_, project_id, key, record, now);
  }

 private:
  Connection& c_;
};

}  // namespace flare::daemon

#pragma once
// SQL for jobs and idempotency keys. Every query takes the project: tenancy is enforced
// here, so no caller can read another project's job by accident.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/job_store.h"
#include "daemon/store/records.h"

namespace flare::daemon {

struct JobFilter {
  std::optional<JobState> state;  // any when absent
  std::string queue;
  std::string job_type;
  OptTime created_after;
  OptTime created_before;
  std::vector<std::pair<std::string, std::string>> tags;  // all must match
  bool include_deleted = false;
};

void InsertJob(Connection& c, JobRecord& job);  // sets job.rowid
/// Writes every mutable column of `job` (found by id).
void SaveJob(Connection& c, const JobRecord& job);
/// Writes only what follows the latest run (state mirror, last_run_id, next_run_at):
/// the hot path of every transition, without re-serializing payload and spec.
void SaveJobState(Connection& c, const JobRecord& job);
/// By id (deleted jobs included) or by slug (live jobs only).
std::optional<JobRecord> FindJob(Connection& c, const std::string& project_id,
                                 const std::string& id_or_slug);
/// By id in any project: only for engines that work across projects (retention).
std::optional<JobRecord> FindJobInAnyProject(Connection& c, const std::string& id);
bool SlugTaken(Connection& c, const std::string& project_id, const std::string& slug,
               const std::string& except_job_id);
/// Up to `limit` jobs, newest first, strictly after `cursor` when given.
std::vector<JobRecord> ListJobs(Connection& c, const std::string& project_id,
                                const JobFilter& filter, const std::optional<PageCursor>& cursor,
                                int limit);
/// Live children of `parent_job_id` in state `state`.
std::vector<JobRecord> ChildrenInState(Connection& c, const std::string& parent_job_id,
                                       JobState state);

/// Live, enabled jobs whose next fire is due at `now`, earliest first.
std::vector<JobRecord> DueScheduledJobs(Connection& c, TimePoint now, int limit);
/// The earliest next fire of any live, enabled job.
OptTime EarliestNextRun(Connection& c);

struct IdempotencyRecord {
  std::string request_hash;
  std::string job_id;
  std::string response;
};
std::optional<IdempotencyRecord> FindIdempotencyKey(Connection& c, const std::string& project_id,
                                                    const std::string& key);
void InsertIdempotencyKey(Connection& c, const std::string& project_id, const std::string& key,
                          const IdempotencyRecord& record, TimePoint now);

/// The SQLite JobStore (stores.h): the functions above over one connection.
class SqliteJobStore final : public JobStore {
 public:
  explicit SqliteJobStore(Connection& c) : c_(c) {}

 private:
  [[maybe_unused]] Connection& c_;
};

}  // namespace flare::daemon

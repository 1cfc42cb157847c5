#pragma once
// The storage port for one resource: Jobs and idempotency keys (job_repository.h).
// Services reach it through their transaction (Tx::jobs()) or a read lease; each backend
// implements it (SQLite: SqliteJobStore in job_repository.h). Every query takes the project:
// tenancy is enforced here, so no caller can read another project's job by accident.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

struct IdempotencyRecord {
  std::string request_hash;
  std::string job_id;
  std::string response;
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  /// The rowid is the database's: SQLite sets job.rowid here; PostgreSQL sends the insert
  /// with the operation's next statement and leaves it 0 (read the job back for it).
  virtual void Insert(JobRecord& job) = 0;
  /// Writes every mutable column of `job` (found by id).
  virtual void Save(const JobRecord& job) = 0;
  /// Writes only what follows the latest run (state mirror, last_run_id, next_run_at):
  /// the hot path of every transition, without re-serializing payload and spec.
  virtual void SaveState(const JobRecord& job) = 0;
  /// Writes `enabled` alone: a one-off job turns itself off as it fires, and re-writing
  /// its whole row re-serialized a spec that did not change.
  virtual void SaveEnabled(const JobRecord& job) = 0;
  /// By id (deleted jobs included) or by slug (live jobs only).
  virtual std::optional<JobRecord> Find(const std::string& project_id,
                                        const std::string& id_or_slug) = 0;
  /// The jobs of the project among `ids` (ids, not slugs; deleted ones included), in no
  /// set order: one read for the jobs a batch names, each locked as Find locks it.
  virtual std::vector<JobRecord> FindMany(const std::string& project_id,
                                          const std::vector<std::string>& ids) = 0;
  /// Hands back a job's spec as an earlier read of this thread parsed it (JobRecord::
  /// stored_spec), so that the next read of the job need not parse it again while its
  /// column still holds that text; a spec changed since is parsed (stored_spec.h).
  virtual void RememberSpec(const std::shared_ptr<const ParsedSpec>& spec) = 0;
  /// By id in any project: only for engines that work across projects (retention).
  virtual std::optional<JobRecord> FindInAnyProject(const std::string& id) = 0;
  virtual bool SlugTaken(const std::string& project_id, const std::string& slug,
                         const std::string& except_job_id) = 0;
  /// Up to `limit` jobs, newest first, strictly after `cursor` when given.
  virtual std::vector<JobRecord> List(const std::string& project_id, const JobFilter& filter,
                                      const std::optional<PageCursor>& cursor, int limit) = 0;
  /// Live children of `parent_job_id` in state `state`.
  virtual std::vector<JobRecord> ChildrenInState(const std::string& parent_job_id,
                                                 JobState state) = 0;

  /// Which of `parent_job_ids` have a live child in `state`: one read for a batch, locking
  /// nothing (ChildrenInState then takes the children of those that have some).
  virtual std::vector<std::string> ParentsWithChildrenInState(
      const std::vector<std::string>& parent_job_ids, JobState state) = 0;

  /// Live, enabled jobs whose next fire is due at `now`, earliest first.
  virtual std::vector<JobRecord> DueScheduled(TimePoint now, int limit) = 0;
  /// The earliest next fire of any live, enabled job.
  virtual OptTime EarliestNextRun() = 0;

  virtual std::optional<IdempotencyRecord> FindIdempotencyKey(const std::string& project_id,
                                                              const std::string& key) = 0;
  virtual void InsertIdempotencyKey(const std::string& project_id, const std::string& key,
                                    const IdempotencyRecord& record, TimePoint now) = 0;
};

}  // namespace flare::daemon

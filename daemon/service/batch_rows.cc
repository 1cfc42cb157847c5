#include "daemon/service/batch_rows.h"

#include <utility>

#include "daemon/store/job_store.h"
#include "daemon/store/run_store.h"

namespace flare::daemon {

void BatchRows::LoadJobs(Tx& tx, const std::string& project_id,
                         const std::vector<std::string>& ids) {
  for (JobRecord& job : tx.jobs().FindMany(project_id, ids)) {
    std::string id = job.id;
    jobs_.insert_or_assign(std::move(id), std::move(job));
  }
}

void BatchRows::LoadRuns(Tx& tx, const std::string& project_id,
                         const std::vector<std::string>& ids) {
  for (RunRecord& run : tx.runs().FindMany(project_id, ids)) {
    std::string id = run.id;
    runs_.insert_or_assign(std::move(id), std::move(run));
  }
}

void BatchRows::LoadWaitingParents(Tx& tx) {
  std::vector<std::string> ids;
  ids.reserve(jobs_.size());
  for (const auto& [id, job] : jobs_) ids.push_back(id);
  childless_.insert(ids.begin(), ids.end());
  for (const std::string& parent : tx.jobs().ParentsWithChildrenInState(ids, JobState::kScheduled))
    childless_.erase(parent);
}

std::optional<JobRecord> BatchRows::TakeJob(Tx& tx, const std::string& project_id,
                                            const std::string& id_or_slug) {
  auto loaded = jobs_.find(id_or_slug);
  if (loaded == jobs_.end()) return tx.jobs().Find(project_id, id_or_slug);
  std::optional<JobRecord> job = std::move(loaded->second);
  jobs_.erase(loaded);
  return job;
}

std::optional<RunRecord> BatchRows::TakeRunOfJob(Tx& tx, const std::string& job_id,
                                                 const std::string& run_id) {
  auto loaded = runs_.find(run_id);
  if (loaded == runs_.end() || loaded->second.job_id != job_id)
    return tx.runs().FindOfJob(job_id, run_id);
  std::optional<RunRecord> run = std::move(loaded->second);
  runs_.erase(loaded);
  return run;
}

}  // namespace flare::daemon

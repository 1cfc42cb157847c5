#pragma once
// The jobs and runs a batch (an ack list, a claim of many runs) names, read and locked by
// one statement each instead of one per item: on PostgreSQL each lookup is a round trip.
//
// A record is taken out when an item uses it, so a second item naming the same row reads
// it again, as the first item's writes left it; a row the batch did not load is read then.

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "daemon/store/records.h"
#include "daemon/store/tx.h"

namespace flare::daemon {

class BatchRows {
 public:
  /// Loads (and in a write transaction locks) the project's jobs among `ids`.
  void LoadJobs(Tx& tx, const std::string& project_id, const std::vector<std::string>& ids);
  /// Loads (and locks) the project's runs among `ids`.
  void LoadRuns(Tx& tx, const std::string& project_id, const std::vector<std::string>& ids);

  /// Looks once for which of the jobs LoadJobs loaded have children waiting on them
  /// (scheduled). With those jobs locked, no child of theirs can appear meanwhile.
  void LoadWaitingParents(Tx& tx);
  /// False only for a job LoadWaitingParents found without waiting children.
  bool MayHaveWaitingChildren(const std::string& job_id) const {
    return childless_.count(job_id) == 0;
  }

  /// The job by id or slug, as JobStore::Find answers.
  std::optional<JobRecord> TakeJob(Tx& tx, const std::string& project_id,
                                   const std::string& id_or_slug);
  /// The run of `job_id` with `run_id`, as RunStore::FindOfJob answers.
  std::optional<RunRecord> TakeRunOfJob(Tx& tx, const std::string& job_id,
                                        const std::string& run_id);

 private:
  std::unordered_set<std::string> childless_;
  std::unordered_map<std::string, JobRecord> jobs_;
  std::unordered_map<std::string, RunRecord> runs_;
};

}  // namespace flare::daemon

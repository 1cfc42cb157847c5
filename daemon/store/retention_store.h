#pragma once
// The storage port for one resource: Finding and deleting what retention prunes
// (retention_repository.h). Services reach it through their transaction (Tx::retention()) or a read
// lease; each backend implements it (SQLite: SqliteRetentionStore in retention_repository.h).
//
// Every operation must be served by an index, and event deletes take a bounded chunk, so a
// retention slice costs the writer the same few ms however large the tables are.

#include <initializer_list>
#include <string>
#include <vector>

#include "daemon/store/records.h"

namespace flare::daemon {

struct FinishedRun {
  std::string run_id;
  std::string job_id;
};

class RetentionStore {
 public:
  virtual ~RetentionStore() = default;
  /// Up to `limit` runs in `states` completed before `cutoff`, oldest first.
  virtual std::vector<FinishedRun> FinishedRunsBefore(std::initializer_list<RunState> states,
                                                      TimePoint cutoff, int limit) = 0;
  /// Deletes up to `limit` events of a run; returns how many it deleted.
  virtual int DeleteEventsOfRun(const std::string& run_id, int limit) = 0;
  /// Deletes up to `limit` events of a job (of all its runs); returns how many it deleted.
  virtual int DeleteEventsOfJob(const std::string& job_id, int limit) = 0;
  /// Deletes a run row (its events must be gone first).
  virtual void DeleteRun(const std::string& run_id) = 0;
  /// Deletes a job row and all its runs (their events must be gone first).
  virtual void DeleteJobAndRuns(const std::string& job_id) = 0;
  /// The oldest completion time among runs in `states`.
  virtual OptTime OldestFinished(std::initializer_list<RunState> states) = 0;
};

}  // namespace flare::daemon

#pragma once
// SQL for retention: finding old terminal runs and deleting runs, events and jobs.
// Every statement here is served by an index (events_by_run, events_by_job, runs_finished,
// runs_by_job), and event deletes take a bounded chunk, so a retention slice costs the
// writer the same few ms however large the tables are.

#include <string>
#include <utility>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/records.h"
#include "daemon/store/retention_store.h"

namespace flare::daemon {

/// Up to `limit` runs in `states` completed before `cutoff`, oldest first.
std::vector<FinishedRun> FinishedRunsBefore(Connection& c, std::initializer_list<RunState> states,
                                            TimePoint cutoff, int limit);
/// Deletes up to `limit` events of a run; returns how many it deleted.
int DeleteEventsOfRun(Connection& c, const std::string& run_id, int limit);
/// Deletes up to `limit` events of a job (of all its runs); returns how many it deleted.
int DeleteEventsOfJob(Connection& c, const std::string& job_id, int limit);
/// Deletes a run row (its events must be gone first).
void DeleteRun(Connection& c, const std::string& run_id);
/// Deletes a job row and all its runs (their events must be gone first).
void DeleteJobAndRuns(Connection& c, const std::string& job_id);
/// The oldest completion time among runs in `states`.
OptTime OldestFinished(Connection& c, std::initializer_list<RunState> states);

/// The SQLite RetentionStore (stores.h): the functions above over one connection.
class SqliteRetentionStore final : public RetentionStore {
 public:
  explicit SqliteRetentionStore(Connection& c) : c_(c) {}
  std::vector<FinishedRun> FinishedRunsBefore(std::initializer_list<RunState> states,
                                              TimePoint cutoff, int limit) override {
    return ::flare::daemon::FinishedRunsBefore(c_, states, cutoff, limit);
  }
  int DeleteEventsOfRun(const std::string& run_id, int limit) override {
    return ::flare::daemon::DeleteEventsOfRun(c_, run_id, limit);
  }
  int DeleteEventsOfJob(const std::string& job_id, int limit) override {
    return ::flare::daemon::DeleteEventsOfJob(c_, job_id, limit);
  }
  void DeleteRun(const std::string& run_id) override { ::flare::daemon::DeleteRun(c_, run_id); }
  void DeleteJobAndRuns(const std::string& job_id) override {
    ::flare::daemon::DeleteJobAndRuns(c_, job_id);
  }
  OptTime OldestFinished(std::initializer_list<RunState> states) override {
    return ::flare::daemon::OldestFinished(c_, states);
  }

 private:
  Connection& c_;
};

}  // namespace flare::daemon

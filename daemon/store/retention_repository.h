#pragma once
// SQL for retention: finding old terminal runs and deleting runs, events and jobs.

#include <string>
#include <utility>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/records.h"

namespace flare::daemon {

struct FinishedRun {
  std::string run_id;
  std::string job_id;
};

/// Up to `limit` runs in `states` completed before `cutoff`, oldest first.
std::vector<FinishedRun> FinishedRunsBefore(Connection& c, std::initializer_list<const char*> states,
                                            TimePoint cutoff, int limit);
/// Deletes a run and the events that belong to it.
void DeleteRunWithEvents(Connection& c, const std::string& run_id);
/// Deletes a job with all its runs and events.
void DeleteJobWithHistory(Connection& c, const std::string& job_id);
/// The oldest completion time among runs in `states`.
OptTime OldestFinished(Connection& c, std::initializer_list<const char*> states);

}  // namespace flare::daemon

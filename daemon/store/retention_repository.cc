#include "daemon/store/retention_repository.h"

#include <algorithm>

#include "daemon/store/columns.h"

namespace flare::daemon {
namespace {

int DeleteChunk(Connection& c, const char* sql, const std::string& key, int limit) {
  auto& st = c.Prepare(sql);
  st.bind(1, key);
  st.bind(2, limit);
  return st.exec();
}

}  // namespace

std::vector<FinishedRun> FinishedRunsBefore(Connection& c, std::initializer_list<RunState> states,
                                            TimePoint cutoff, int limit) {
  // One range of runs_finished per state (an IN list would make SQLite sort every match),
  // merged oldest first.
  std::vector<std::pair<TimePoint, FinishedRun>> found;
  for (RunState state : states) {
    auto& st = c.Prepare(
        "SELECT id, job_id, completed_at FROM runs WHERE state = ?1 AND completed_at < ?2 "
        "ORDER BY completed_at LIMIT ?3");
    BindState(st, 1, state);
    BindTime(st, 2, cutoff);
    st.bind(3, limit);
    while (st.executeStep())
      found.push_back({ColTimeRequired(st, 2), {ColText(st, 0), ColText(st, 1)}});
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  if (found.size() > static_cast<size_t>(limit)) found.resize(static_cast<size_t>(limit));
  std::vector<FinishedRun> runs;
  runs.reserve(found.size());
  for (auto& [completed, run] : found) runs.push_back(std::move(run));
  return runs;
}

int DeleteEventsOfRun(Connection& c, const std::string& run_id, int limit) {
  return DeleteChunk(
      c, "DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE run_id = ?1 LIMIT ?2)",
      run_id, limit);
}

int DeleteEventsOfJob(Connection& c, const std::string& job_id, int limit) {
  return DeleteChunk(
      c, "DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE job_id = ?1 LIMIT ?2)",
      job_id, limit);
}

void DeleteRun(Connection& c, const std::string& run_id) {
  auto& run = c.Prepare("DELETE FROM runs WHERE id = ?1");
  run.bind(1, run_id);
  run.exec();
}

void DeleteJobAndRuns(Connection& c, const std::string& job_id) {
  for (const char* sql : {"DELETE FROM runs WHERE job_id = ?1", "DELETE FROM jobs WHERE id = ?1"}) {
    auto& st = c.Prepare(sql);
    st.bind(1, job_id);
    st.exec();
  }
}

OptTime OldestFinished(Connection& c, std::initializer_list<RunState> states) {
  OptTime oldest;
  for (RunState state : states) {
    // One index probe per state: MIN over an equality prefix of runs_finished.
    auto& st = c.Prepare(
        "SELECT MIN(completed_at) FROM runs WHERE state = ?1 AND completed_at IS NOT NULL");
    BindState(st, 1, state);
    st.executeStep();
    OptTime t = ColTime(st, 0);
    if (t && (!oldest || *t < *oldest)) oldest = t;
  }
  return oldest;
}

}  // namespace flare::daemon

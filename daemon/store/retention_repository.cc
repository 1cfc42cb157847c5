#include "daemon/store/retention_repository.h"

#include "daemon/store/columns.h"

namespace flare::daemon {
namespace {

std::string StateList(std::initializer_list<const char*> states) {
  std::string out;
  for (const char* state : states) out += std::string(out.empty() ? "'" : ", '") + state + "'";
  return out;
}

}  // namespace

std::vector<FinishedRun> FinishedRunsBefore(Connection& c, std::initializer_list<const char*> states,
                                            TimePoint cutoff, int limit) {
  auto& st = c.PrepareDynamic("SELECT id, job_id FROM runs WHERE state IN (" + StateList(states) +
                              ") AND completed_at < ? ORDER BY completed_at LIMIT ?");
  BindTime(st, 1, cutoff);
  st.bind(2, limit);
  std::vector<FinishedRun> runs;
  while (st.executeStep()) runs.push_back({ColText(st, 0), ColText(st, 1)});
  return runs;
}

void DeleteRunWithEvents(Connection& c, const std::string& run_id) {
  auto& events = c.Prepare("DELETE FROM events WHERE run_id = ?1");
  events.bind(1, run_id);
  events.exec();
  auto& run = c.Prepare("DELETE FROM runs WHERE id = ?1");
  run.bind(1, run_id);
  run.exec();
}

void DeleteJobWithHistory(Connection& c, const std::string& job_id) {
  for (const char* sql : {"DELETE FROM events WHERE job_id = ?1", "DELETE FROM runs WHERE job_id = ?1",
                          "DELETE FROM jobs WHERE id = ?1"}) {
    auto& st = c.Prepare(sql);
    st.bind(1, job_id);
    st.exec();
  }
}

OptTime OldestFinished(Connection& c, std::initializer_list<const char*> states) {
  auto& st = c.PrepareDynamic("SELECT MIN(completed_at) FROM runs WHERE state IN (" +
                              StateList(states) + ")");
  st.executeStep();
  return ColTime(st, 0);
}

}  // namespace flare::daemon

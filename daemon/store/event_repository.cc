#include "daemon/store/event_repository.h"

#include "daemon/store/columns.h"

namespace flare::daemon {

void AppendEvent(Connection& c, EventRecord& e) {
  auto& st = c.Prepare(
      "INSERT INTO events (id, project_id, job_id, run_id, type, at, attempt, details) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  st.bind(1, e.id);
  st.bind(2, e.project_id);
  st.bind(3, e.job_id);
  BindText(st, 4, e.run_id);
  st.bind(5, e.type);
  BindTime(st, 6, e.at);
  BindOptional(st, 7, e.attempt);
  BindJson(st, 8, e.details);
  st.exec();
  e.rowid = c.db().getLastInsertRowid();
}

std::vector<EventRecord> EventsOfJob(Connection& c, const std::string& job_id,
                                     std::optional<int64_t> before_rowid, int limit) {
  auto& st = c.Prepare(
      "SELECT rowid, id, project_id, job_id, run_id, type, at, attempt, details FROM events "
      "WHERE job_id = ?1 AND rowid < ?2 ORDER BY rowid DESC LIMIT ?3");
  st.bind(1, job_id);
  st.bind(2, before_rowid.value_or(INT64_MAX));
  st.bind(3, limit);
  std::vector<EventRecord> events;
  while (st.executeStep()) {
    EventRecord e;
    e.rowid = st.getColumn(0).getInt64();
    e.id = ColText(st, 1);
    e.project_id = ColText(st, 2);
    e.job_id = ColText(st, 3);
    e.run_id = ColText(st, 4);
    e.type = ColText(st, 5);
    e.at = ColTimeRequired(st, 6);
    auto attempt = ColInt64(st, 7);
    if (attempt) e.attempt = static_cast<int>(*attempt);
    e.details = ColJson(st, 8);
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace flare::daemon

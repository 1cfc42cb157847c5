#include "daemon/store/event_repository.h"

#include "daemon/store/columns.h"

namespace flare::daemon {
namespace {

#define EVENT_COLUMNS \
  "e.rowid, e.id, e.project_id, e.job_id, e.run_id, e.type, e.at, e.attempt, e.details "

EventRecord ReadEvent(SQLite::Statement& st) {
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
  e.position = e.id;
  return e;
}

std::vector<EventRecord> ReadEvents(SQLite::Statement& st) {
  std::vector<EventRecord> events;
  while (st.executeStep()) events.push_back(ReadEvent(st));
  return events;
}

// One query for both directions: `newer` reads ascending after `position`, else
// descending before it.
std::vector<EventRecord> ProjectLog(Connection& c, const std::string& project_id,
                                    const EventLogFilter& filter, const std::string& position,
                                    bool newer, int limit) {
  std::string sql = "SELECT " EVENT_COLUMNS "FROM events e ";
  if (!filter.queue.empty()) sql += "JOIN jobs j ON j.id = e.job_id ";
  sql += "WHERE e.project_id = ?";
  if (!filter.job_id.empty()) sql += " AND e.job_id = ?";
  if (!filter.queue.empty()) sql += " AND j.queue = ?";
  if (!filter.types.empty()) {
    sql += " AND e.type IN (?";
    for (size_t i = 1; i < filter.types.size(); ++i) sql += ", ?";
    sql += ")";
  }
  if (!position.empty()) sql += newer ? " AND e.id > ?" : " AND e.id < ?";
  sql += newer ? " ORDER BY e.id LIMIT ?" : " ORDER BY e.id DESC LIMIT ?";
  auto& st = c.PrepareDynamic(sql);
  int i = 0;
  st.bind(++i, project_id);
  if (!filter.job_id.empty()) st.bind(++i, filter.job_id);
  if (!filter.queue.empty()) st.bind(++i, filter.queue);
  for (const auto& type : filter.types) st.bind(++i, type);
  if (!position.empty()) st.bind(++i, position);
  st.bind(++i, limit);
  return ReadEvents(st);
}

}  // namespace

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
  e.position = e.id;
}

std::vector<EventRecord> EventsOfJob(Connection& c, const std::string& job_id,
                                     std::optional<int64_t> before_rowid, int limit) {
  auto& st = c.Prepare("SELECT " EVENT_COLUMNS
                       "FROM events e WHERE e.job_id = ?1 AND e.rowid < ?2 "
                       "ORDER BY e.rowid DESC LIMIT ?3");
  st.bind(1, job_id);
  st.bind(2, before_rowid.value_or(INT64_MAX));
  st.bind(3, limit);
  return ReadEvents(st);
}

std::vector<EventRecord> EventsAfter(Connection& c, const std::string& project_id,
                                     const EventLogFilter& filter, const std::string& after_id,
                                     int limit) {
  return ProjectLog(c, project_id, filter, after_id, /*newer=*/true, limit);
}

std::vector<EventRecord> EventsBefore(Connection& c, const std::string& project_id,
                                      const EventLogFilter& filter, const std::string& before_id,
                                      int limit) {
  return ProjectLog(c, project_id, filter, before_id, /*newer=*/false, limit);
}

bool EventExists(Connection& c, const std::string& project_id, const std::string& id) {
  auto& st = c.Prepare("SELECT 1 FROM events WHERE project_id = ?1 AND id = ?2");
  st.bind(1, project_id);
  st.bind(2, id);
  return st.executeStep();
}

std::string LastEventId(Connection& c) {
  // The row inserted last holds the largest id (ids grow in insert order); max(id) would
  // scan every row, since no index leads with id.
  auto& st = c.Prepare("SELECT id FROM events ORDER BY rowid DESC LIMIT 1");
  return st.executeStep() ? ColText(st, 0) : std::string();
}

}  // namespace flare::daemon

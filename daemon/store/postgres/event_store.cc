#include "daemon/store/postgres/event_store.h"

#include <cstdint>
#include <vector>

#include "daemon/store/postgres/columns.h"

namespace flare::daemon::postgres {
// Helpers live in a namespace named after the file: the sources of a target are compiled in
// unity batches, where another store's anonymous helpers would share this file's scope.
namespace event_sql {
namespace {

constexpr const char* kSelect =
    "SELECT e.rowid, e.id, e.project_id, e.job_id, e.run_id, e.type, e.at, e.attempt, "
    "e.details FROM events e ";

EventRecord ReadEvent(const pg::PgResult& r, int row) {
  EventRecord e;
  e.rowid = r.Int64(row, 0);
  e.id = TextAt(r, row, 1);
  e.project_id = TextAt(r, row, 2);
  e.job_id = TextAt(r, row, 3);
  e.run_id = TextAt(r, row, 4);
  e.type = TextAt(r, row, 5);
  e.at = TimeAt(r, row, 6);
  if (std::optional<int64_t> attempt = OptInt64At(r, row, 7))
    e.attempt = static_cast<int>(*attempt);
  e.details = JsonAt(r, row, 8);
  return e;
}

std::vector<EventRecord> ReadEvents(const pg::PgResult& r) {
  std::vector<EventRecord> events;
  events.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) events.push_back(ReadEvent(r, row));
  return events;
}

// One query for both directions: `newer` reads ascending after `position`, else
// descending before it. Positions are ids, which grow in append order.
std::vector<EventRecord> ProjectLog(pg::Connection& db, const std::string& project_id,
                                    const EventLogFilter& filter, const std::string& position,
                                    bool newer, int limit) {
  std::vector<pg::PgParam> params;
  auto bind = [&params](pg::PgParam value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  };
  std::string sql = kSelect;
  if (!filter.queue.empty()) sql += "JOIN jobs j ON j.id = e.job_id ";
  sql += "WHERE e.project_id = " + bind(project_id);
  if (!filter.job_id.empty()) sql += " AND e.job_id = " + bind(filter.job_id);
  if (!filter.queue.empty()) sql += " AND j.queue = " + bind(filter.queue);
  // One type compares by equality, so events_by_project_type serves the id order directly;
  // an array match would make PostgreSQL sort.
  if (filter.types.size() == 1) sql += " AND e.type = " + bind(filter.types.front());
  if (filter.types.size() > 1)
    sql += " AND e.type = ANY(" + bind(TextArray(filter.types)) + "::text[])";
  if (!position.empty()) sql += (newer ? " AND e.id > " : " AND e.id < ") + bind(position);
  sql += newer ? " ORDER BY e.id" : " ORDER BY e.id DESC";
  sql += " LIMIT " + bind(limit);
  return ReadEvents(db.ExecParams(sql, params));
}

}  // namespace
}  // namespace event_sql

void PgEventStore::Append(EventRecord& e) {
  pg::PgResult r = session_.db.Exec(
      "INSERT INTO events (id, project_id, job_id, run_id, type, at, attempt, details) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING rowid",
      e.id, e.project_id, e.job_id, TextOrNull(e.run_id), e.type, Millis(e.at), e.attempt,
      JsonOrNull(e.details));
  e.rowid = r.Int64(0, 0);
}

std::vector<EventRecord> PgEventStore::OfJob(const std::string& job_id,
                                             std::optional<int64_t> before_rowid, int limit) {
  return event_sql::ReadEvents(
      session_.db.Exec(std::string(event_sql::kSelect) +
                           "WHERE e.job_id = $1 AND e.rowid < $2 ORDER BY e.rowid DESC LIMIT $3",
                       job_id, before_rowid.value_or(INT64_MAX), limit));
}

std::vector<EventRecord> PgEventStore::After(const std::string& project_id,
                                             const EventLogFilter& filter,
                                             const std::string& after_id, int limit) {
  return event_sql::ProjectLog(session_.db, project_id, filter, after_id, /*newer=*/true, limit);
}

std::vector<EventRecord> PgEventStore::Before(const std::string& project_id,
                                              const EventLogFilter& filter,
                                              const std::string& before_id, int limit) {
  return event_sql::ProjectLog(session_.db, project_id, filter, before_id, /*newer=*/false, limit);
}

bool PgEventStore::Exists(const std::string& project_id, const std::string& id) {
  return session_.db
             .Exec("SELECT 1 FROM events WHERE project_id = $1 AND id = $2 LIMIT 1", project_id, id)
             .rows() > 0;
}

std::string PgEventStore::LastId() {
  // The row inserted last holds the largest id (ids grow in insert order); max(id) would
  // scan every row, since no index leads with id.
  pg::PgResult r = session_.db.Exec("SELECT id FROM events ORDER BY rowid DESC LIMIT 1");
  return r.rows() > 0 ? TextAt(r, 0, 0) : std::string();
}

}  // namespace flare::daemon::postgres

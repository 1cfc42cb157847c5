#include "daemon/store/postgres/event_store.h"

#include <cstdint>
#include <cstdio>
#include <vector>

#include "daemon/store/postgres/columns.h"

namespace flare::daemon::postgres {
// Helpers live in a namespace named after the file: the sources of a target are compiled in
// unity batches, where another store's anonymous helpers would share this file's scope.
namespace event_sql {
namespace {

#define PG_EVENT_COLUMNS                                                              \
  "SELECT e.rowid, e.id, e.project_id, e.job_id, e.run_id, e.type, e.at, e.attempt, " \
  "e.details, e.xact::text"
constexpr const char* kSelect = PG_EVENT_COLUMNS " FROM events e ";
// The oldest transaction of this database that may still commit: every event written by an
// older one is settled (event_store.h). Transaction ids are the cluster's, so the snapshot's
// own xmin would also wait for other databases' transactions, which can never write here: a
// long one (another application's, or a test's in a shared cluster) would stall live streams.
// So the running transactions of the snapshot are read through pg_stat_activity, and those
// it shows in another database are left out. The snapshot is taken before that view is read,
// and a transaction's database never changes, so what it shows elsewhere is elsewhere; one it
// no longer shows (it just ended) or whose database is unknown (a prepared transaction) still
// counts: it may have committed an event the snapshot cannot see yet.
constexpr const char* kSettledBelow =
    "coalesce((SELECT min(running) FROM pg_snapshot_xip(pg_current_snapshot()) running "
    "WHERE NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.backend_xid = running::xid "
    "AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))), "
    "pg_snapshot_xmax(pg_current_snapshot()))";

// A position is the transaction id and the rowid, each as 20 zero-padded digits, so that
// comparing the text compares the pair.
std::string Position(const std::string& xact, int64_t rowid) {
  char text[48];
  std::snprintf(text, sizeof text, "%020llu.%020lld", std::stoull(xact),
                static_cast<long long>(rowid));
  return text;
}

struct PositionParts {
  std::string xact = "0";
  int64_t rowid = 0;
};
/// "" (the start) and anything that is not a position read as the start.
PositionParts Parse(const std::string& position) {
  PositionParts parts;
  size_t dot = position.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= position.size()) return parts;
  try {
    parts.xact = std::to_string(std::stoull(position.substr(0, dot)));
    parts.rowid = std::stoll(position.substr(dot + 1));
  } catch (const std::exception&) {
    return PositionParts{};
  }
  return parts;
}

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
  e.position = Position(r.Text(row, 9), e.rowid);
  return e;
}

std::vector<EventRecord> ReadEvents(const pg::PgResult& r) {
  std::vector<EventRecord> events;
  events.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) events.push_back(ReadEvent(r, row));
  return events;
}

// The project log with its filters: `newer` reads settled events ascending after a
// position, else descending by id before `position` (an id: JSON pages browse in id order).
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
  if (newer) {
    if (!position.empty()) {
      PositionParts after = Parse(position);
      sql += " AND (e.xact, e.rowid) > (" + bind(after.xact) + "::xid8, " + bind(after.rowid) + ")";
    }
    sql += std::string(" AND e.xact < ") + kSettledBelow + " ORDER BY e.xact, e.rowid";
  } else {
    if (!position.empty()) sql += " AND e.id < " + bind(position);
    sql += " ORDER BY e.id DESC";
  }
  sql += " LIMIT " + bind(limit);
  return ReadEvents(db.ExecParams(sql, params));
}

}  // namespace
}  // namespace event_sql

void PgEventStore::Append(EventRecord& e) {
  // Sent with the operation's next statement. Its rowid and position are the database's, read
  // back with the event (the tail publishes it from there).
  session_.Write(
      "INSERT INTO events (id, project_id, job_id, run_id, type, at, attempt, details) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      e.id, e.project_id, e.job_id, TextOrNull(e.run_id), e.type, Millis(e.at), e.attempt,
      JsonOrNull(e.details));
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
                                             const std::string& after_position, int limit) {
  return event_sql::ProjectLog(session_.db, project_id, filter, after_position, /*newer=*/true,
                               limit);
}

std::vector<EventRecord> PgEventStore::Before(const std::string& project_id,
                                              const EventLogFilter& filter,
                                              const std::string& before_id, int limit) {
  return event_sql::ProjectLog(session_.db, project_id, filter, before_id, /*newer=*/false, limit);
}

ResumePoint PgEventStore::PositionOf(const std::string& project_id, const std::string& id) {
  // The event itself, or the newest one of the project before it when it was pruned.
  pg::PgResult r = session_.db.Exec(
      "SELECT e.xact::text, e.rowid, e.id = $2 FROM events e "
      "WHERE e.project_id = $1 AND e.id <= $2 ORDER BY e.id DESC LIMIT 1",
      project_id, id);
  if (r.rows() == 0) return {};
  return {event_sql::Position(r.Text(0, 0), r.Int64(0, 1)), r.Text(0, 2) == "t"};
}

std::string PgEventStore::LastId() {
  // The row inserted last holds the largest id (ids grow in insert order); max(id) would
  // scan every row, since no index leads with id.
  pg::PgResult r = session_.db.Exec("SELECT id FROM events ORDER BY rowid DESC LIMIT 1");
  return r.rows() > 0 ? TextAt(r, 0, 0) : std::string();
}

std::string PgEventStore::NewestPosition() {
  pg::PgResult r = session_.db.Exec(
      std::string("SELECT xact::text, rowid FROM events WHERE xact < ") + event_sql::kSettledBelow +
      " ORDER BY events.xact DESC, events.rowid DESC LIMIT 1");
  return r.rows() > 0 ? event_sql::Position(r.Text(0, 0), r.Int64(0, 1)) : std::string();
}

std::optional<EventTailPage> PgEventStore::Tail(const std::string& after_position, int limit) {
  event_sql::PositionParts after = event_sql::Parse(after_position);
  pg::PgResult r = session_.db.Exec(
      std::string(PG_EVENT_COLUMNS ", j.queue, e.xact < ") + event_sql::kSettledBelow +
          " FROM events e LEFT JOIN jobs j ON j.id = e.job_id "
          "WHERE (e.xact, e.rowid) > ($1::xid8, $2) ORDER BY e.xact, e.rowid LIMIT $3",
      after.xact, after.rowid, limit);
  EventTailPage page;
  for (int row = 0; row < r.rows(); ++row) {
    // Settled rows come first (they hold the smaller transaction ids).
    if (r.Text(row, 11) != "t") {
      page.unsettled = true;
      break;
    }
    page.events.push_back(event_sql::ReadEvent(r, row));
    page.queues.push_back(TextAt(r, row, 10));
  }
  return page;
}

}  // namespace flare::daemon::postgres

#pragma once
// SQL for the append-only job history and the project event log read from it.
//
// The log's order is the event id's: ids are monotonic ULIDs made on the writer thread
// while the row is inserted, so id order is commit order, and a reader's snapshot always
// holds a prefix of it. Positions are ids, not rowids: SQLite may hand a deleted max rowid
// out again, an id never comes back. Every event is settled once committed (one writer).

#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/event_store.h"
#include "daemon/store/records.h"

namespace flare::daemon {

void AppendEvent(Connection& c, EventRecord& event);
/// A job's events, newest first, before `before_rowid` when given.
std::vector<EventRecord> EventsOfJob(Connection& c, const std::string& job_id,
                                     std::optional<int64_t> before_rowid, int limit);
/// Up to `limit` events of the project log after `after_id` ("" = from the start), oldest
/// first.
std::vector<EventRecord> EventsAfter(Connection& c, const std::string& project_id,
                                     const EventLogFilter& filter, const std::string& after_id,
                                     int limit);
/// Up to `limit` events of the project log before `before_id` ("" = the newest), newest
/// first.
std::vector<EventRecord> EventsBefore(Connection& c, const std::string& project_id,
                                      const EventLogFilter& filter, const std::string& before_id,
                                      int limit);
/// True when `id` is an event of the project.
bool EventExists(Connection& c, const std::string& project_id, const std::string& id);
/// The id of the event appended last ("" when there is none).
std::string LastEventId(Connection& c);

/// The SQLite EventStore (stores.h): the functions above over one connection.
class SqliteEventStore final : public EventStore {
 public:
  explicit SqliteEventStore(Connection& c) : c_(c) {}
  void Append(EventRecord& event) override { AppendEvent(c_, event); }
  std::vector<EventRecord> OfJob(const std::string& job_id, std::optional<int64_t> before_rowid,
                                 int limit) override {
    return EventsOfJob(c_, job_id, before_rowid, limit);
  }
  std::vector<EventRecord> After(const std::string& project_id, const EventLogFilter& filter,
                                 const std::string& after_id, int limit) override {
    return EventsAfter(c_, project_id, filter, after_id, limit);
  }
  std::vector<EventRecord> Before(const std::string& project_id, const EventLogFilter& filter,
                                  const std::string& before_id, int limit) override {
    return EventsBefore(c_, project_id, filter, before_id, limit);
  }
  /// A pruned id is a position too: ids sort in commit order.
  ResumePoint PositionOf(const std::string& project_id, const std::string& id) override {
    return {id, EventExists(c_, project_id, id)};
  }
  std::string LastId() override { return LastEventId(c_); }
  std::string NewestPosition() override { return LastEventId(c_); }
  std::optional<EventTailPage> Tail(const std::string&, int) override { return std::nullopt; }

 private:
  Connection& c_;
};

}  // namespace flare::daemon

#pragma once
// The storage port for one resource: The event log of jobs and projects (event_repository.h).
// Services reach it through their transaction (Tx::events()) or a read lease; each backend
// implements it (SQLite: SqliteEventStore in event_repository.h).
//
// Streams follow the log in one order that every reader sees alike, through positions
// (EventRecord::position): text that sorts in that order, so a stream that resumes after a
// position, on any node, never skips an event committed later and never sees one twice.
//   - SQLite: the position is the event id. Ids are monotonic ULIDs made on the one writer
//     thread while the row is inserted, so id order is commit order, and a reader's snapshot
//     always holds a prefix of it.
//   - PostgreSQL: many sessions (and nodes) write at once, so an event with a smaller id can
//     commit after a larger one. The position is (the inserting transaction's id, rowid),
//     and a reader only returns events that are *settled*: written by a transaction older
//     than every transaction of this database still running, so nothing can commit before
//     them any more. A long-open write transaction therefore delays live events; it never
//     reorders them. (Other databases of the cluster share the transaction ids but cannot
//     write here: their transactions are not waited for.)
// Pages of the log as JSON (Before) stay in id order: a browsing order, not a stream.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/records.h"

namespace flare::daemon {

/// Events of every project after a position, for the tail that feeds live streams
/// (service/event_tail.h).
struct EventTailPage {
  std::vector<EventRecord> events;  // settled, in position order
  std::vector<std::string> queues;  // the queue of each event's job ("" when it is gone)
  bool unsettled = false;           // events after these are committed but not settled yet
};

/// Where a stream resumes after Last-Event-ID.
struct ResumePoint {
  std::string position;
  bool found = false;  // false: the id is not (any more) in the project's log
};

/// Narrows the project log; empty fields match everything.
struct EventLogFilter {
  std::string job_id;
  std::string queue;               // the job's queue
  std::vector<std::string> types;  // any of these
};

class EventStore {
 public:
  virtual ~EventStore() = default;
  /// SQLite sets the event's rowid and position here (its bus publishes the record at
  /// commit); PostgreSQL sends the insert with the operation's next statement and leaves
  /// them unset: its tail reads them back with the settled event.
  virtual void Append(EventRecord& event) = 0;
  /// A job's events, newest first, before `before_rowid` when given.
  virtual std::vector<EventRecord> OfJob(const std::string& job_id,
                                         std::optional<int64_t> before_rowid, int limit) = 0;
  /// Up to `limit` settled events of the project log after `after_position` ("" = from the
  /// start), in position order.
  virtual std::vector<EventRecord> After(const std::string& project_id,
                                         const EventLogFilter& filter,
                                         const std::string& after_position, int limit) = 0;
  /// Up to `limit` events of the project log before `before_id` ("" = the newest), newest
  /// first.
  virtual std::vector<EventRecord> Before(const std::string& project_id,
                                          const EventLogFilter& filter,
                                          const std::string& before_id, int limit) = 0;
  /// The position of event `id` of the project; when the log no longer holds it (retention
  /// pruned it), the position after which a stream resumes: the newest older event's.
  virtual ResumePoint PositionOf(const std::string& project_id, const std::string& id) = 0;
  /// The id of the event appended last ("" when there is none).
  virtual std::string LastId() = 0;
  /// The position of the newest settled event ("" when there is none): a stream that starts
  /// there sees what commits from now on.
  virtual std::string NewestPosition() = 0;
  /// Up to `limit` settled events of all projects after `after_position`, or std::nullopt
  /// when this backend has no tail to read: SQLite's one writer publishes each commit to
  /// live streams itself (event_bus.h).
  virtual std::optional<EventTailPage> Tail(const std::string& after_position, int limit) = 0;
};

}  // namespace flare::daemon

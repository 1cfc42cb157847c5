#pragma once
// The storage port for one resource: The event log of jobs and projects (event_repository.h).
// Services reach it through their transaction (Tx::events()) or a read lease; each backend
// implements it (SQLite: SqliteEventStore in event_repository.h).
//
// The log's order is the event id's: ids are monotonic ULIDs made on the writer thread
// while the row is inserted, so id order is commit order, and a reader's snapshot always
// holds a prefix of it. Positions are ids, not rowids.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/store/records.h"

namespace flare::daemon {

/// Narrows the project log; empty fields match everything.
struct EventLogFilter {
  std::string job_id;
  std::string queue;               // the job's queue
  std::vector<std::string> types;  // any of these
};

class EventStore {
 public:
  virtual ~EventStore() = default;
  virtual void Append(EventRecord& event) = 0;
  /// A job's events, newest first, before `before_rowid` when given.
  virtual std::vector<EventRecord> OfJob(const std::string& job_id,
                                         std::optional<int64_t> before_rowid, int limit) = 0;
  /// Up to `limit` events of the project log after `after_id` ("" = from the start), oldest
  /// first.
  virtual std::vector<EventRecord> After(const std::string& project_id,
                                         const EventLogFilter& filter, const std::string& after_id,
                                         int limit) = 0;
  /// Up to `limit` events of the project log before `before_id` ("" = the newest), newest
  /// first.
  virtual std::vector<EventRecord> Before(const std::string& project_id,
                                          const EventLogFilter& filter,
                                          const std::string& before_id, int limit) = 0;
  /// True when `id` is an event of the project.
  virtual bool Exists(const std::string& project_id, const std::string& id) = 0;
  /// The id of the event appended last ("" when there is none).
  virtual std::string LastId() = 0;
};

}  // namespace flare::daemon

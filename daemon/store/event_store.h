#pragma once
// The storage port for one resource: The event log of jobs and projects (event_repository.h).
// Services reach it through their transaction (Tx::events()) or a read lease; each backend
// implements it (SQLite: SqliteEventStore in event_repository.h).

#include "daemon/store/records.h"

namespace flare::daemon {

class EventStore {
 public:
  virtual ~EventStore() = default;
};

}  // namespace flare::daemon

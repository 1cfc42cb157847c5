#pragma once
// SQL for the append-only job history.

#include <optional>
#include <string>
#include <vector>

#include "daemon/store/connection.h"
#include "daemon/store/records.h"

namespace flare::daemon {

void AppendEvent(Connection& c, EventRecord& event);
/// A job's events, newest first, before `before_rowid` when given.
std::vector<EventRecord> EventsOfJob(Connection& c, const std::string& job_id,
                                     std::optional<int64_t> before_rowid, int limit);

}  // namespace flare::daemon

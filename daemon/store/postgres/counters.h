#pragma once
// Writes an operation's counter changes (counter_deltas.h) to PostgreSQL just before its
// COMMIT, into the session's slot of each counter row (schema.cc, kStripedCounters).

#include "daemon/store/counter_deltas.h"
#include "daemon/store/pg/connection.h"

namespace flare::daemon::postgres {

/// Writes the kept changes of `counters` and clears them. The rows are written in the
/// sums' (sorted) order, so two transactions never lock the same rows in opposite orders.
void FlushCounters(pg::Connection& db, CounterDeltas& counters);

}  // namespace flare::daemon::postgres

#pragma once
// What every PostgreSQL store works over: one session of the pool, and whether it is inside
// a write transaction (an operation of PgTransactions) or a read lease.
//
// HOW CONCURRENT WRITERS STAY CORRECT. The SQLite backend runs one write at a time, so a
// service may read a row and write it back later in its operation without anyone moving it
// in between. PostgreSQL runs operations of many requests and several nodes at once (READ
// COMMITTED), so inside a write transaction the stores lock what they hand out:
//   - a lookup of one row (Find, FindOfJob, …) reads it FOR UPDATE: a second operation on
//     the same job or run waits for the first to commit, then sees its result;
//   - a queue query (claimable runs, due runs and fires, expired leases, deliveries to send)
//     reads FOR UPDATE SKIP LOCKED: rows another transaction holds are skipped, not waited
//     for, so two nodes never claim or fire the same row and neither stalls the other.
// A deadlock or serialization failure between two operations aborts one of them, which
// PgTransactions runs again from the start. A read lease takes no locks.

#include <string>
#include <string_view>
#include <vector>

#include "daemon/store/counter_deltas.h"
#include "daemon/store/pg/connection.h"

namespace flare::daemon::postgres {

struct Session {
  pg::Connection& db;
  /// The operation's counter changes (written before COMMIT); null in a read lease.
  CounterDeltas* counters = nullptr;

  bool writing() const { return counters != nullptr; }
  /// Appended to a one-row lookup: locks the row for the rest of a write transaction.
  const char* lock() const { return writing() ? " FOR UPDATE" : ""; }
  /// Appended to a queue query: skips rows another transaction holds.
  const char* claim() const { return writing() ? " FOR UPDATE SKIP LOCKED" : ""; }
  /// A write whose answer nobody reads (no RETURNING, no row count): in a write transaction
  /// it is queued and sent with the next statement or the COMMIT in one round trip
  /// (pg::Connection::Defer); anywhere else it runs at once.
  template <typename... Params>
  void Write(std::string_view sql, Params&&... params) {
    WriteParams(sql, std::vector<pg::PgParam>{pg::PgParam(std::forward<Params>(params))...});
  }
  void WriteParams(std::string_view sql, std::vector<pg::PgParam> params) {
    if (writing())
      db.DeferParams(sql, std::move(params));
    else
      db.ExecParams(sql, params);
  }
  /// Adds to the operation's counters (nothing in a read lease, which never writes).
  template <typename Change>
  void Count(Change change) {
    if (counters) change(*counters);
  }
};

}  // namespace flare::daemon::postgres

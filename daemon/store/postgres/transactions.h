#pragma once
// The PostgreSQL backend's transaction runner (store/transactions.h). Where SQLite has one
// writer thread and group commit, PostgreSQL takes concurrent writers: each operation runs
// on the calling thread in a transaction of its own, on a session of the pool, and the
// server groups the WAL flushes of transactions that commit together.
//
// An operation runs as: BEGIN; the body (its stores lock what they read, session.h); its
// counter changes; COMMIT; then its after-commit hand-offs on the calling thread. A body that
// returns false (an error) or throws is rolled back and its on-abort hand-offs run. A
// deadlock, a serialization failure or a unique key taken meanwhile (SQLSTATE 40P01, 40001,
// 23505) runs the whole operation again,
// a few times, from a fresh transaction: the body is written to be re-run (it only touched
// the database and registered hand-offs, which are dropped with the failed attempt).
//
// Durability: Run commits with synchronous_commit on (a 2xx means the commit is flushed
// to the server's WAL); RunRelaxed (a claim, an ack, a heartbeat) commits with
// synchronous_commit off for that transaction: committed and visible to every node at once,
// and durable within the server's wal_writer_delay; only a crash of the database server in
// that window can lose it, which at-least-once delivery allows (the run is claimed again).

#include <atomic>
#include <chrono>
#include <optional>

#include "common/clock.h"
#include "daemon/store/pg/pool.h"
#include "daemon/store/transactions.h"

namespace flare::daemon::postgres {

class PgTransactions final : public Transactions {
 public:
  /// How long an operation waits for a free session before it fails as unavailable.
  static constexpr std::chrono::seconds kAcquireTimeout{10};
  /// Attempts of an operation that keeps losing deadlocks or serialization conflicts.
  static constexpr int kMaxAttempts = 5;

  PgTransactions(pg::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}
  /// Later operations fail as unavailable (flared is shutting down); running ones finish.
  void Stop() { stopping_ = true; }
  const WriterStats& stats() const override { return stats_; }

 private:
  void Submit(Sync sync, Body body, OnFailure on_failure) override;
  /// A session of the pool, or nullopt (logged) when none frees up or none can be opened.
  std::optional<pg::Pool::Lease> AcquireSession();
  /// One attempt in one transaction. Returns true when it ended (committed, or rolled back
  /// by the body); throws the PgError of a failed statement or commit.
  bool Attempt(pg::Connection& db, Sync sync, Body& body);

  pg::Pool& pool_;
  const Clock& clock_;
  WriterStats stats_;
  std::atomic<bool> stopping_{false};
};

}  // namespace flare::daemon::postgres

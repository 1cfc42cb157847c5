#pragma once
// The PostgreSQL backend's transaction runner (store/transactions.h): group commit over a
// few concurrent leaders.
//
// A request hands its operation over and waits. While fewer than kMaxLeaders groups run,
// the waiting thread becomes a leader: it takes every operation queued so far (up to
// kMaxGroup) and runs them one after the other in ONE transaction on one session of the
// pool, commits once, then answers them all. Idle, an operation runs at once, alone; under
// load the operations that queued while the leaders were busy share a commit, a WAL flush
// and the round trips of their statements (pg::Connection::Defer sends the writes of the
// whole group with its reads and its COMMIT). Several leaders keep both the server's and
// flared's cores busy while one group waits for its flush.
//
// At most ONE of those groups holds durable operations (Run): while it waits for its WAL
// flush, the durable operations that arrive queue up and go together in the next one, and
// the other leaders take only relaxed operations (RunRelaxed), which do not wait for a
// flush. Three durable groups at once split 16 concurrent creates into groups of ~3, each
// with its own commit, flush and NOTIFY; one at a time made them ~25 % faster at ~20 %
// less flared CPU per create, while claims and acks keep their parallel leaders (with one
// leader for everything they lost ~25 %).
//
// An operation runs as: BEGIN; the bodies (their stores lock what they read, session.h);
// the group's counter changes; COMMIT; then each operation's after-commit hand-offs on the
// leader thread. If any body of a group returns false (an error: its writes must not stay)
// or throws, the group is rolled back (on-abort hand-offs run) and each of its operations
// runs again alone, in a transaction of its own, so the others commit and the failing one
// answers as it would have alone. A body is written to be re-run: it only touched the
// database and registered hand-offs, which are dropped with the failed attempt.
//
// Alone, an operation that meets a deadlock, a serialization failure or a unique key taken
// meanwhile (SQLSTATE 40P01, 40001, 23505) runs again, a few times, from a fresh
// transaction.
//
// Keys (KeyToConfirm, store/transactions.h): an operation submitted by a request whose key
// it confirms commits only if that key is still active. The check is the transaction's
// first statement after BEGIN, one for the whole group, sent with its writes
// (RequireActiveKeys): a revoked key aborts the transaction before anything commits. A
// group that meets one runs its operations alone; alone, the operation with the revoked
// key fails with 401 and writes nothing.
//
// Durability: a group with an operation submitted through Run commits with
// synchronous_commit on (a 2xx means the commit is flushed to the server's WAL); a group
// made only of RunRelaxed operations (a claim, an ack, a heartbeat) commits with
// synchronous_commit off for that transaction: committed and visible to every node at once,
// and durable within the server's wal_writer_delay; only a crash of the database server in
// that window can lose it, which at-least-once delivery allows (the run is claimed again).
// A relaxed operation grouped with a durable one gets the stronger promise.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

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
  /// Groups committing at once (each on its own session); one of them at most durable.
  static constexpr int kMaxLeaders = 3;
  /// Operations in one group at most.
  static constexpr size_t kMaxGroup = 64;

  PgTransactions(pg::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}
  /// Later operations fail as unavailable (flared is shutting down); running ones finish.
  void Stop() { stopping_ = true; }
  const WriterStats& stats() const override { return stats_; }

 private:
  struct Pending {
    Sync sync;
    Body* body;
    OnFailure* on_failure;
    KeyToConfirm* key = nullptr;  // the submitting request's key, confirmed in the transaction
    bool done = false;
  };
  void Submit(Sync sync, Body body, OnFailure on_failure) override;
  /// Under mutex_: takes the operations a new leader may run now (oldest first, up to
  /// kMaxGroup; durable ones only while no durable group runs), or none when no leader
  /// slot is free or nothing queued may go yet.
  std::vector<Pending*> TakeGroup();
  /// Runs `group` (taken from the queue by this leader) and marks it done.
  void Lead(std::vector<Pending*>& group);
  /// The group in one transaction; false when it was rolled back instead (a body failed).
  bool RunTogether(pg::Connection& db, std::vector<Pending*>& group);
  /// One operation in transactions of its own, with the retries above.
  void RunAlone(Pending& pending);
  /// Queues the check that the keys `ops` confirm are all still active (nothing when none
  /// confirms a key): it travels with the transaction's writes, and a revoked one fails the
  /// transaction with kRevokedKeySqlstate instead of costing a round trip of its own.
  static void RequireKeysOf(pg::Connection& db, const std::vector<Pending*>& ops);
  /// After a commit that required them: notes the keys of `ops` confirmed.
  static void NoteKeysConfirmed(const std::vector<Pending*>& ops);
  /// A session of the pool, or nullopt (logged) when none frees up or none can be opened.
  std::optional<pg::Pool::Lease> AcquireSession();
  /// One attempt in one transaction. Returns whether it committed (false: the body rolled
  /// it back); throws the PgError of a failed statement or commit, kRevokedKeySqlstate's
  /// when the operation's key was revoked.
  bool Attempt(pg::Connection& db, Pending& pending);

  pg::Pool& pool_;
  const Clock& clock_;
  WriterStats stats_;
  std::atomic<bool> stopping_{false};

  std::mutex mutex_;
  std::condition_variable changed_;  // a group finished: an operation is done, a slot is free
  std::deque<Pending*> queue_;
  int leaders_ = 0;
  bool durable_group_running_ = false;
};

}  // namespace flare::daemon::postgres

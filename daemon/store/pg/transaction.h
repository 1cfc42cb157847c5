#pragma once
// One transaction on one Connection, undone unless committed: BEGIN when constructed,
// ROLLBACK when destroyed without Commit(). A throw anywhere between the two therefore
// leaves nothing half-written and the session ready for the next statement; nobody has
// to remember a ROLLBACK on each error path.

#include "daemon/store/pg/connection.h"

namespace flare::daemon::pg {

class Transaction {
 public:
  /// kAwaited: COMMIT returns once the commit is flushed to the server's WAL (the
  /// session's synchronous_commit, which Connection turns on). kDeferred: for this
  /// transaction only, COMMIT returns before the flush (synchronous_commit off): visible to
  /// everyone at once, durable within the server's wal_writer_delay.
  enum class CommitFlush { kAwaited, kDeferred };
  /// Queues BEGIN, which is sent with the transaction's first statement (Connection::Defer).
  explicit Transaction(Connection& connection, CommitFlush flush = CommitFlush::kAwaited);
  /// ROLLBACK unless Commit() or Rollback() ran; never throws (a failure is logged, and a
  /// connection that cannot roll back is broken, which the pool notices).
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Connection& connection() { return connection_; }
  /// COMMIT. Throws PgError when the commit fails, or when a statement of this transaction
  /// failed (PostgreSQL would answer that COMMIT with a ROLLBACK).
  void Commit();
  void Rollback();

 private:
  // Rolls back what a failed COMMIT left open (best effort: a broken session is dropped by
  // the pool anyway).
  void EndAfterFailure();

  Connection& connection_;
  bool open_ = true;
};

}  // namespace flare::daemon::pg

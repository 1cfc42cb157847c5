#pragma once
// One transaction on one Connection, undone unless committed: BEGIN when constructed,
// ROLLBACK when destroyed without Commit(). A throw anywhere between the two therefore
// leaves nothing half-written and the session ready for the next statement; nobody has
// to remember a ROLLBACK on each error path.

#include "daemon/store/pg/connection.h"

namespace flare::daemon::pg {

class Transaction {
 public:
  /// Sends BEGIN (throws PgError when it fails).
  explicit Transaction(Connection& connection);
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
  Connection& connection_;
  bool open_ = true;
};

}  // namespace flare::daemon::pg

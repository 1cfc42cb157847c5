#include "daemon/store/postgres/transactions.h"

#include <exception>
#include <vector>

#include "daemon/log.h"
#include "daemon/store/pg/error.h"
#include "daemon/store/pg/transaction.h"
#include "daemon/store/postgres/counters.h"
#include "daemon/store/postgres/stores.h"

namespace flare::daemon::postgres {
namespace {

using Action = std::function<void()>;

// Runs hand-offs after the outcome is known; a failed one must not undo an answered write.
void RunActions(std::vector<Action>& actions) {
  for (Action& action : actions) {
    try {
      action();
    } catch (const std::exception& e) {
      LogError("after-commit action failed", {{"error", e.what()}});
    }
  }
}

// A conflict between concurrent transactions that running the operation again resolves: a
// deadlock, a serialization failure, or a unique key another transaction took since this
// one looked (two nodes creating with the same Idempotency-Key or slug at once). Run again,
// the operation's own checks see the winner's row and answer as they would on one node (a
// replay, a 409) instead of a 500.
bool IsRetryable(const pg::PgError& e) {
  return e.sqlstate() == "40P01" || e.sqlstate() == "40001" || e.IsUniqueViolation();
}

}  // namespace

std::optional<pg::Pool::Lease> PgTransactions::AcquireSession() {
  try {
    return pool_.Acquire(kAcquireTimeout);
  } catch (const pg::PgError& e) {
    LogError("cannot reach the database", {{"error", e.what()}});
    return std::nullopt;
  }
}

void PgTransactions::Submit(Sync sync, Body body, OnFailure on_failure) {
  if (stopping_) {
    on_failure(Error{ErrorCode::kUnavailable, "flared is shutting down; retry shortly"});
    return;
  }
  std::optional<pg::Pool::Lease> lease = AcquireSession();
  if (!lease) {
    on_failure(
        Error{ErrorCode::kUnavailable, "the database is busy or unreachable; retry shortly"});
    return;
  }
  for (int attempt = 1;; ++attempt) {
    try {
      Attempt(**lease, sync, body);
      return;
    } catch (const pg::PgError& e) {
      if (IsRetryable(e) && attempt < kMaxAttempts) continue;
      LogError("write failed", {{"error", e.what()}, {"sqlstate", e.sqlstate()}});
      on_failure(Error{e.IsConnectionLost() ? ErrorCode::kUnavailable : ErrorCode::kInternal,
                       "flared could not commit the write; retry"});
      return;
    } catch (const std::exception& e) {
      LogError("write failed", {{"error", e.what()}});
      on_failure(Error{ErrorCode::kInternal, "the write failed inside flared; retry"});
      return;
    }
  }
}

bool PgTransactions::Attempt(pg::Connection& db, Sync sync, Body& body) {
  auto began = std::chrono::steady_clock::now();
  CounterDeltas counters;
  PgStores stores(Session{db, &counters});
  Tx tx(stores, clock_.Now());
  bool committed = false;
  try {
    pg::Transaction transaction(db, sync == Sync::kRelaxed
                                        ? pg::Transaction::CommitFlush::kDeferred
                                        : pg::Transaction::CommitFlush::kAwaited);
    if (body(tx)) {
      counters.KeepOperation();
      FlushCounters(db, counters);
      transaction.Commit();
      committed = true;
    } else {
      transaction.Rollback();
    }
  } catch (...) {
    RunActions(tx.on_abort_);
    throw;
  }
  stats_.commit_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  stats_.group_size.Observe(1);
  if (sync == Sync::kRelaxed) stats_.relaxed_groups.fetch_add(1, std::memory_order_relaxed);
  RunActions(committed ? tx.after_commit_ : tx.on_abort_);
  return committed;
}

}  // namespace flare::daemon::postgres

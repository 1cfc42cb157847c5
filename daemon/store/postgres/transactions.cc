#include "daemon/store/postgres/transactions.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "daemon/log.h"
#include "daemon/store/pg/error.h"
#include "daemon/store/pg/transaction.h"
#include "daemon/store/postgres/counters.h"
#include "daemon/store/postgres/key_store.h"
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

namespace {
// Set while this thread leads a group: an operation submitted from inside one (a body or
// an after-commit action breaking the hand-off rule) runs alone instead of waiting for a
// leader slot this thread may be holding.
thread_local bool t_leading = false;

Error KeyNoLongerActive() {
  return Error{ErrorCode::kUnauthorized,
               "a valid API key is required: send Authorization: Bearer <key>"};
}
}  // namespace

void PgTransactions::RequireKeysOf(pg::Connection& db, const std::vector<Pending*>& ops) {
  std::vector<std::string> hashes;
  for (const Pending* p : ops)
    if (p->key) hashes.push_back(p->key->key_hash);
  // A group's requests mostly share one key: each is hex-encoded and sent once.
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  if (!hashes.empty()) RequireActiveKeys(db, hashes);
}

void PgTransactions::NoteKeysConfirmed(const std::vector<Pending*>& ops) {
  for (Pending* p : ops)
    if (p->key) p->key->confirmed.store(true);
}

void PgTransactions::Submit(Sync sync, Body body, OnFailure on_failure) {
  Pending pending{sync, &body, &on_failure, KeyToConfirmOfThisThread()};
  if (t_leading) {
    RunAlone(pending);
    return;
  }
  std::unique_lock lock(mutex_);
  queue_.push_back(&pending);
  // Each pass either leads a group (which ends: statements and the session wait are
  // bounded) or sleeps until a group finishes; it ends when this operation is done.
  while (!pending.done) {
    if (std::vector<Pending*> group = TakeGroup(); !group.empty()) {
      bool durable = std::any_of(group.begin(), group.end(),
                                 [](const Pending* p) { return p->sync == Sync::kDurable; });
      ++leaders_;
      if (durable) durable_group_running_ = true;
      lock.unlock();
      Lead(group);
      lock.lock();
      --leaders_;
      if (durable) durable_group_running_ = false;
      // Under the lock: once it is released a submitter may return and destroy its Pending.
      for (Pending* done : group) done->done = true;
      changed_.notify_all();
      continue;
    }
    changed_.wait(lock);
  }
}

std::vector<PgTransactions::Pending*> PgTransactions::TakeGroup() {
  std::vector<Pending*> group;
  if (leaders_ >= kMaxLeaders) return group;
  for (auto it = queue_.begin(); it != queue_.end() && group.size() < kMaxGroup;) {
    if ((*it)->sync == Sync::kDurable && durable_group_running_) {
      ++it;  // it goes with the next durable group
      continue;
    }
    group.push_back(*it);
    it = queue_.erase(it);
  }
  return group;
}

void PgTransactions::Lead(std::vector<Pending*>& group) {
  t_leading = true;
  if (group.size() == 1 || stopping_) {
    for (Pending* p : group) RunAlone(*p);  // which refuses while flared stops
  } else {
    std::optional<pg::Pool::Lease> lease = AcquireSession();
    bool committed = false;
    if (lease) {
      try {
        committed = RunTogether(**lease, group);
      } catch (const std::exception& e) {
        LogWarn("group commit failed; its operations run alone", {{"error", e.what()}});
      }
    }
    // The lease goes back first: the operations alone take sessions of their own.
    lease.reset();
    if (!committed) {
      for (Pending* p : group) RunAlone(*p);
    }
  }
  t_leading = false;
}

bool PgTransactions::RunTogether(pg::Connection& db, std::vector<Pending*>& group) {
  auto began = std::chrono::steady_clock::now();
  bool durable = false;
  for (Pending* p : group) durable = durable || p->sync == Sync::kDurable;
  CounterDeltas counters;
  PgStores stores(Session{db, &counters});
  std::vector<std::unique_ptr<Tx>> txs;
  txs.reserve(group.size());
  bool committed = false;
  try {
    pg::Transaction transaction(db, durable ? pg::Transaction::CommitFlush::kAwaited
                                            : pg::Transaction::CommitFlush::kDeferred);
    RequireKeysOf(db, group);
    bool every_body_succeeded = true;
    for (Pending* p : group) {
      txs.push_back(std::make_unique<Tx>(stores, clock_.Now()));
      if (!(*p->body)(*txs.back())) {
        every_body_succeeded = false;
        break;
      }
      counters.KeepOperation();
    }
    if (every_body_succeeded) {
      FlushCounters(db, counters);
      transaction.Commit();
      committed = true;
    } else {
      transaction.Rollback();
    }
  } catch (const pg::PgError& e) {
    // Run alone next, each operation meets (and reports) its own failure.
    LogDebug("group rolled back", {{"error", e.what()}, {"sqlstate", e.sqlstate()}});
  } catch (...) {
    for (auto& tx : txs) RunActions(tx->on_abort_);
    throw;
  }
  if (!committed) {
    for (auto& tx : txs) RunActions(tx->on_abort_);
    return false;
  }
  stats_.commit_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  stats_.group_size.Observe(static_cast<double>(group.size()));
  if (!durable) stats_.relaxed_groups.fetch_add(1, std::memory_order_relaxed);
  NoteKeysConfirmed(group);
  for (auto& tx : txs) RunActions(tx->after_commit_);
  return true;
}

void PgTransactions::RunAlone(Pending& pending) {
  OnFailure& on_failure = *pending.on_failure;
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
      Attempt(**lease, pending);
      return;
    } catch (const pg::PgError& e) {
      if (e.sqlstate() == kRevokedKeySqlstate && pending.key) {
        pending.key->refused.store(true);
        on_failure(KeyNoLongerActive());
        return;
      }
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

bool PgTransactions::Attempt(pg::Connection& db, Pending& pending) {
  const Sync sync = pending.sync;
  Body& body = *pending.body;
  auto began = std::chrono::steady_clock::now();
  CounterDeltas counters;
  PgStores stores(Session{db, &counters});
  Tx tx(stores, clock_.Now());
  bool committed = false;
  try {
    pg::Transaction transaction(db, sync == Sync::kRelaxed
                                        ? pg::Transaction::CommitFlush::kDeferred
                                        : pg::Transaction::CommitFlush::kAwaited);
    RequireKeysOf(db, {&pending});
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
  if (committed) NoteKeysConfirmed({&pending});
  RunActions(committed ? tx.after_commit_ : tx.on_abort_);
  return committed;
}

}  // namespace flare::daemon::postgres

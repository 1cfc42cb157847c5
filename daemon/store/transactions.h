#pragma once
// How services run their writes, whichever backend holds the data: an operation (a
// function of a Tx) is run in a transaction and its result returned once committed. The
// SQLite backend is the single writer with its group commit (writer.h); the PostgreSQL
// backend groups operations too, over a few concurrent leaders (postgres/transactions.h).

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "common/histogram.h"
#include "common/result.h"
#include "daemon/store/tx.h"

namespace flare::daemon {

/// How the commits go, for GET /metrics: seconds per transaction (BEGIN to COMMIT, fsync
/// included) and operations per transaction (the SQLite writer's group commit). Atomic counters:
/// the writer thread observes, a scrape reads, neither waits.
struct WriterStats {
  BoundedHistogram commit_seconds{
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  BoundedHistogram group_size{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}};
  /// Seconds per fdatasync of the WAL after a group with a durable operation.
  BoundedHistogram sync_seconds{
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  /// Groups committed without a sync (every operation in them relaxed).
  std::atomic<uint64_t> relaxed_groups{0};
  /// The writer's own WAL checkpoints (wal_checkpointer.h): those that started the WAL over,
  /// and those that readers outlasted.
  std::atomic<uint64_t> wal_restarts{0};
  std::atomic<uint64_t> wal_checkpoints_starved{0};
  /// Seconds the writer spent in each of its own checkpoints (writes wait meanwhile).
  BoundedHistogram checkpoint_seconds{
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
};

/// What a 2xx of an operation promises (DURABILITY BY CONSEQUENCE in writer.h).
enum class Sync { kDurable, kRelaxed };

/// The API key that a request's writes confirm inside their own transactions.
///
/// With several nodes on one database a key may be revoked through another node at any
/// moment, so a node cannot answer from what it remembers of a key. For the routes whose
/// whole effect is one write made on the request's thread (a create), the node
/// accepts a key it remembers and lets that write confirm it: a backend whose database is
/// shared reads, inside the write's own transaction, whether the key is still active (one
/// read for a whole group of writes), and fails the write with 401 instead of running it
/// when it is not. A revocation committed before the write's transaction began is therefore
/// never missed, as with a read of the key before the request. The request's thread holds
/// one of these for the duration of its handler (service/key_confirmation.h).
struct KeyToConfirm {
  std::string key_hash;                // SHA-256 of the key, raw bytes
  std::atomic<bool> confirmed{false};  // a write found the key active and went on
  std::atomic<bool> refused{false};    // a write found it revoked and failed with 401
};
/// The key the calling thread's writes confirm, or null (then they confirm none).
KeyToConfirm* KeyToConfirmOfThisThread();
void SetKeyToConfirmOfThisThread(KeyToConfirm* key);

class Transactions {
 public:
  using Body = std::function<bool(Tx&)>;  // false: roll the operation back
  using OnFailure = std::function<void(const Error&)>;

  virtual ~Transactions() = default;

  /// Runs `op` in a transaction and returns its result once committed. An op that returns
  /// an error is rolled back and commits nothing. An op may run more than once: when its
  /// group of operations rolls back for another's failure, its OnAbort actions run and it
  /// runs again. So it must not consume what it captures (copy, never move out of it), and
  /// act outside the transaction only through OnCommit and OnAbort. (The SQLite writer, called on
  /// its own thread from an op or an after-commit action, fails at once with kInternal instead of
  /// waiting for itself forever.)
  template <typename T>
  Result<T> Run(std::function<Result<T>(Tx&)> op) {
    return RunAs<T>(Sync::kDurable, std::move(op));
  }
  /// The same for an operation whose loss in a power cut only causes a redelivery (a claim,
  /// an ack, a heartbeat): committed (it survives kill -9) but it may ride the next fsync.
  template <typename T>
  Result<T> RunRelaxed(std::function<Result<T>(Tx&)> op) {
    return RunAs<T>(Sync::kRelaxed, std::move(op));
  }
  template <typename T>
  Result<T> RunAs(Sync sync, std::function<Result<T>(Tx&)> op) {
    std::optional<Result<T>> result;
    Submit(
        sync,
        [&](Tx& tx) {
          result.emplace(op(tx));
          return result->ok();
        },
        [&](const Error& failure) { result.emplace(failure); });
    return std::move(*result);
  }

  /// How the commits go, for GET /metrics.
  virtual const WriterStats& stats() const = 0;

 protected:
  /// Runs `body` in a transaction and returns once it is committed or rolled back; calls
  /// `on_failure` instead when it could not run (shutting down, the commit failed).
  virtual void Submit(Sync sync, Body body, OnFailure on_failure) = 0;
};

}  // namespace flare::daemon

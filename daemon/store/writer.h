#pragma once
// The single writer and its group commit.
//
// SQLite allows one writer at a time, and at synchronous=FULL each commit costs an
// fsync (~130 µs here, sometimes ms). So flared funnels every write through one thread:
// requests hand it an operation and block; the thread takes every operation queued so
// far, runs them in ONE `BEGIN IMMEDIATE` transaction (each inside its own SAVEPOINT, so
// an operation that fails rolls back alone), commits once, and only then wakes the
// requests. Under load many requests share one fsync; idle, a request waits for exactly
// one commit. A 2xx therefore always follows the commit that holds its write.
//
// Operations may register after-commit actions (waking long-polls, nudging the timer);
// they run on the writer thread after COMMIT and only for operations that succeeded.
//
// THE RULE: the writer waits on nothing but SQLite. An after-commit action only hands off
// (sets a flag, notifies a condition variable, pushes onto a queue guarded by a mutex that
// is never held across I/O) and returns in microseconds. It never does I/O, never waits for
// another thread, never calls Writer::Run (that would deadlock), and never takes a lock
// that a thread may hold while it waits for the writer. Everything queued behind a slow
// action waits with it: one blocking action freezes every write in flared. The writer
// times each action and logs a warning naming any that takes longer than a few ms.
//
// DURABILITY BY CONSEQUENCE (at --durability full). Each operation says what its answer
// promises. Run: "it is on disk" (a create, an update, a cancel): the group's commit is
// followed by an fdatasync of the WAL before anyone is answered. RunRelaxed: "it is
// committed" (a claim, an ack, a heartbeat, an HTTP run's Begin): a group made only of
// relaxed operations commits without an fsync, and its WAL frames become durable with the
// next group that syncs (fdatasync covers the whole file) or the next checkpoint. Either
// way the commit's WAL frames reach the OS (write(2)) before COMMIT returns, so kill -9
// loses nothing answered; a power cut may lose relaxed writes not yet followed by a sync,
// which at-least-once allows (the run is claimed again). The writer's connection runs at
// synchronous=NORMAL and the writer itself fsyncs the WAL after a durable group, so it can
// tell the two apart per group; SQLite still syncs the WAL header on a WAL restart and
// syncs before and after every checkpoint. A relaxed operation queued behind a durable one
// in the same group simply gets the stronger promise.
//
// Also: after every transaction the writer resets every cached statement of its
// connection (Connection::ResetStatements), so a lookup that read only its first row
// does not keep a read transaction open. An open read transaction pins the WAL: SQLite
// could never restart it and it would grow without bound. Overlapping short reads can do
// the same, so the writer checkpoints itself (WalCheckpointer), between groups, after it
// has answered the group that filled the WAL.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/histogram.h"
#include "common/result.h"
#include "daemon/store/connection.h"
#include "daemon/store/stores.h"
#include "daemon/store/wal_checkpointer.h"

namespace flare::daemon {

/// What an operation sees inside the writer's transaction: every resource's store (the
/// storage port, stores.h), the transaction's time, and hand-offs for its end.
class Tx {
 public:
  Tx(Connection& connection, Stores& stores, TimePoint now)
      : connection_(connection), stores_(stores), now_(now) {}
  /// The connection itself, for the code not yet moved behind the port.
  Connection& conn() { return connection_; }
  JobStore& jobs() { return stores_.jobs(); }
  RunStore& runs() { return stores_.runs(); }
  EventStore& events() { return stores_.events(); }
  WorkerStore& workers() { return stores_.workers(); }
  KeyStore& keys() { return stores_.keys(); }
  AccountStore& accounts() { return stores_.accounts(); }
  WebhookStore& webhooks() { return stores_.webhooks(); }
  UsageStore& usage() { return stores_.usage(); }
  RetentionStore& retention() { return stores_.retention(); }
  NodeStore& nodes() { return stores_.nodes(); }
  ExportStore& exports() { return stores_.exports(); }
  /// The transaction's time: every row an operation writes carries this "now".
  TimePoint now() const { return now_; }
  /// Runs `action` on the writer thread after the commit, if the operation succeeds. It may
  /// only hand off (notify, enqueue): see the rule at the top of this file.
  void OnCommit(std::function<void()> action) { after_commit_.push_back(std::move(action)); }
  /// Runs `action` on the writer thread if the operation is rolled back instead (it failed,
  /// or its group could not commit). The same rule applies: hand off only.
  void OnAbort(std::function<void()> action) { on_abort_.push_back(std::move(action)); }

 private:
  friend class Writer;
  Connection& connection_;
  Stores& stores_;
  TimePoint now_;
  std::vector<std::function<void()>> after_commit_;
  std::vector<std::function<void()>> on_abort_;
};

/// How the group commits go, for GET /metrics: seconds per group transaction (BEGIN to
/// COMMIT, fsync included) and operations per group. Atomic counters: the writer thread
/// observes, a scrape reads, neither waits.
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
};

/// What a 2xx of an operation promises (see DURABILITY BY CONSEQUENCE above).
enum class Sync { kDurable, kRelaxed };

class Writer {
 public:
  Writer(const std::string& path, Durability durability, const Clock& clock);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  /// Runs `op` in the next group transaction and returns its result once committed.
  /// An op that returns an error is rolled back (its savepoint) and commits nothing.
  /// Called on the writer thread itself (from an op or an after-commit action) it fails at
  /// once with kInternal instead of waiting for itself forever.
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

  /// Stops after the queued operations are done; later Runs fail with "unavailable".
  void Stop();
  /// Commits done since start (for tests and metrics).
  uint64_t commit_count() const;
  /// fdatasyncs of the WAL done by the writer since start (for tests and metrics). Stays 0
  /// at --durability normal, and where the WAL file could not be opened (then SQLite syncs
  /// every commit itself, synchronous=FULL).
  uint64_t sync_count() const;
  const WriterStats& stats() const { return stats_; }

 private:
  struct Pending;
  using Body = std::function<bool(Tx&)>;
  using OnFailure = std::function<void(const Error&)>;
  using Action = std::function<void()>;

  void Submit(Sync sync, Body body, OnFailure on_failure);
  void Loop();
  /// Runs the batch in one transaction; returns the after-commit actions of the operations
  /// that stand (none if the transaction failed).
  std::vector<Action> RunBatch(std::vector<Pending*>& batch);
  /// Makes a committed group durable when one of its operations asked for that. Returns
  /// false when the fdatasync failed (the group's durable operations then fail).
  bool SyncIfDurable(const std::vector<Pending*>& batch);
  void RunAfterCommit(std::vector<Action>& actions);

  WriterStats stats_;  // before checkpointer_, which counts into it
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<Stores> stores_;  // over connection_, lent to every transaction
  WalCheckpointer checkpointer_;    // after connection_: it hooks that connection
  const Clock& clock_;
  // The WAL file, opened by the writer to fdatasync it; -1 when SQLite syncs (normal
  // durability, or the WAL could not be opened).
  int wal_fd_ = -1;
  std::atomic<uint64_t> syncs_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending*> queue_;
  bool stopping_ = false;
  uint64_t commits_ = 0;
  std::thread thread_;
};

}  // namespace flare::daemon

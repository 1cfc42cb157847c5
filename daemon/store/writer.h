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
// Also: after every transaction the writer resets every cached statement of its
// connection (Connection::ResetStatements), so a lookup that read only its first row
// does not keep a read transaction open. An open read transaction pins the WAL: SQLite
// could never restart it and it would grow without bound.

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

namespace flare::daemon {

/// What an operation sees inside the writer's transaction.
class Tx {
 public:
  Tx(Connection& connection, TimePoint now) : connection_(connection), now_(now) {}
  Connection& conn() { return connection_; }
  /// The transaction's time: every row an operation writes carries this "now".
  TimePoint now() const { return now_; }
  /// Runs `action` on the writer thread after the commit, if the operation succeeds. It may
  /// only hand off (notify, enqueue): see the rule at the top of this file.
  void OnCommit(std::function<void()> action) { after_commit_.push_back(std::move(action)); }

 private:
  friend class Writer;
  Connection& connection_;
  TimePoint now_;
  std::vector<std::function<void()>> after_commit_;
};

/// How the group commits go, for GET /metrics: seconds per group transaction (BEGIN to
/// COMMIT, fsync included) and operations per group. Atomic counters: the writer thread
/// observes, a scrape reads, neither waits.
struct WriterStats {
  BoundedHistogram commit_seconds{
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  BoundedHistogram group_size{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}};
};

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
    std::optional<Result<T>> result;
    Submit(
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
  const WriterStats& stats() const { return stats_; }

 private:
  struct Pending;
  using Body = std::function<bool(Tx&)>;
  using OnFailure = std::function<void(const Error&)>;
  using Action = std::function<void()>;

  void Submit(Body body, OnFailure on_failure);
  void Loop();
  /// Runs the batch in one transaction; returns the after-commit actions of the operations
  /// that stand (none if the transaction failed).
  std::vector<Action> RunBatch(std::vector<Pending*>& batch);
  void RunAfterCommit(std::vector<Action>& actions);

  std::unique_ptr<Connection> connection_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending*> queue_;
  bool stopping_ = false;
  uint64_t commits_ = 0;
  WriterStats stats_;
  std::thread thread_;
};

}  // namespace flare::daemon

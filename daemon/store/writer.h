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

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/clock.h"
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
  /// Runs `action` after the commit, if the operation succeeds.
  void OnCommit(std::function<void()> action) { after_commit_.push_back(std::move(action)); }

 private:
  friend class Writer;
  Connection& connection_;
  TimePoint now_;
  std::vector<std::function<void()>> after_commit_;
};

class Writer {
 public:
  Writer(const std::string& path, Durability durability, const Clock& clock);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  /// Runs `op` in the next group transaction and returns its result once committed.
  /// An op that returns an error is rolled back (its savepoint) and commits nothing.
  template <typename T>
  Result<T> Run(std::function<Result<T>(Tx&)> op) {
    std::optional<Result<T>> result;
    Submit([&](Tx& tx) {
      result.emplace(op(tx));
      return result->ok();
    }, [&](const Error& failure) { result.emplace(failure); });
    return std::move(*result);
  }

  /// Stops after the queued operations are done; later Runs fail with "unavailable".
  void Stop();
  /// Commits done since start (for tests and metrics).
  uint64_t commit_count() const;

 private:
  struct Pending;
  using Body = std::function<bool(Tx&)>;
  using OnFailure = std::function<void(const Error&)>;

  void Submit(Body body, OnFailure on_failure);
  void Loop();
  void RunBatch(std::vector<Pending*>& batch);

  std::unique_ptr<Connection> connection_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending*> queue_;
  bool stopping_ = false;
  uint64_t commits_ = 0;
  std::thread thread_;
};

}  // namespace flare::daemon

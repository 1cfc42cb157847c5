#pragma once
// The single writer and its group commit.
//
// SQLite allows one writer at a time, and at synchronous=FULL each commit costs an
// fsync (~130 µs here, sometimes ms). So flared funnels every write through one thread:
// requests hand it an operation and block; the thread takes every operation queued so
// far, runs them in ONE `BEGIN IMMEDIATE` transaction (an operation that fails rolls back
// alone, see SAVEPOINTS below), commits once, and only then wakes the requests. Under load many
// requests share one fsync; idle, a request waits for exactly one commit. A 2xx therefore always
// follows the commit that holds its write.
//
// ALONE: an operation submitted while the writer is idle (no group running, none queued),
// after a turn that committed one operation with nothing queued meanwhile, is run by the
// submitting thread itself, as a group of one, with the same commit, sync and
// after-commit steps; operations arriving meanwhile queue for the writer thread, which the
// submitter wakes when it is done. Handing a lone operation to the writer thread and back
// cost two sleeps and wakes per request: at one client, a create's thread switches went
// from ~6.4 to ~4.1 without them (bench/RESULTS.md). Whoever holds the writer's turn
// (`busy_`) has the connection to itself; checkpoints stay on the writer thread.
//
// SAVEPOINTS ONLY WHEN ONE FAILS. A savepoint per operation lets one roll back alone, but
// SQLite then copies every page the operation changes that existed before it began into a
// sub-journal (~13 pages of 4 KiB a create) and frees it at the release: ~15 % of the
// writer's instructions under creates from 16 clients (bench/RESULTS.md). Nearly every
// group's operations all succeed, so a group runs first without savepoints. When one of
// several operations fails (refused or thrown), the transaction rolls back, the abort
// actions of every operation run so far run, and the group runs again from the start with
// a savepoint each: every body must be safe to run again after its abort actions, as the
// PostgreSQL backend already requires when it runs a failed group's operations alone. A
// lone operation that fails needs no second run: the rollback is its own. After a group
// that went again, groups take savepoints from the start until one has no failure, so that
// writes that keep failing never make every group run twice.
//
// Operations may register after-commit actions (waking long-polls, nudging the timer);
// they run on the thread that committed (the writer's, or the submitter's when it ran
// inline) after COMMIT and only for operations that succeeded.
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
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "daemon/store/connection.h"
#include "daemon/store/transactions.h"
#include "daemon/store/wal_checkpointer.h"

namespace flare::daemon {

/// The SQLite backend's transaction runner: one thread, group commit (see above).
class Writer final : public Transactions {
 public:
  Writer(const std::string& path, Durability durability, const Clock& clock);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  /// Stops after the queued operations are done; later Runs fail with "unavailable".
  void Stop();
  /// Commits done since start (for tests and metrics).
  uint64_t commit_count() const;
  /// fdatasyncs of the WAL done by the writer since start (for tests and metrics). Stays 0
  /// at --durability normal, and where the WAL file could not be opened (then SQLite syncs
  /// every commit itself, synchronous=FULL).
  uint64_t sync_count() const;
  const WriterStats& stats() const override { return stats_; }
  /// For tests: the first run of every group is rolled back as if an operation had failed,
  /// and the group runs again with savepoints, so that a test can check that what its
  /// operations do survives their running twice (SAVEPOINTS ONLY WHEN ONE FAILS above).
  void RunEveryGroupTwiceForTests() { every_group_twice_ = true; }

 private:
  struct Pending;
  using Action = std::function<void()>;

  void Submit(Sync sync, Body body, OnFailure on_failure) override;
  /// The writer was idle: runs `pending` alone on the calling thread (see ALONE above).
  void RunInline(Pending& pending);
  /// Commits a group on the thread that holds the writer's turn; answers no one.
  void CommitGroup(std::vector<Pending*>& group);
  void Loop();
  /// The holder of the writer's turn gives it up after a commit (of `committed_ops`) or a
  /// checkpoint (0), and wakes the writer thread when work or a checkpoint waits for it.
  void LetGo(size_t committed_ops);
  /// Runs the batch in one transaction; returns the after-commit actions of the operations
  /// that stand (none if the transaction failed). See SAVEPOINTS ONLY WHEN ONE FAILS above.
  std::vector<Action> RunBatch(std::vector<Pending*>& batch);
  /// The first try, without savepoints. True when the batch is done (committed; a lone
  /// operation refused; the transaction failed), its after-commit actions in
  /// `after_commit`; false when an operation of several failed and the batch, rolled back,
  /// must go again with savepoints.
  bool RunWithoutSavepoints(std::vector<Pending*>& batch, std::vector<Action>& after_commit);
  /// Each operation in its own savepoint, so that one that fails rolls back alone.
  std::vector<Action> RunWithSavepoints(std::vector<Pending*>& batch);
  /// Runs an operation's body: false when it failed, or threw (then reported as an
  /// internal error when `report_a_throw`).
  static bool RunBody(Pending& pending, Tx& tx, bool report_a_throw);
  /// The transaction as a whole failed (disk full, I/O error): nothing of it stands. Rolls
  /// back, fails every operation and runs the abort actions of those that ran.
  void FailGroup(std::vector<Pending*>& batch, Tx& tx, std::vector<Action>& on_abort,
                 const std::exception& error);
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
  // An operation failed in the last group that took savepoints: the next starts with them
  // (RunBatch). The holder of the writer's turn reads and writes it.
  bool savepoints_first_ = false;
  std::atomic<bool> every_group_twice_{false};  // RunEveryGroupTwiceForTests
  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> commits_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending*> queue_;
  // A thread holds the writer's turn (the writer thread with a group or a checkpoint, or a
  // submitter running its operation inline): the connection is that thread's alone.
  bool busy_ = false;
  // The last turn committed at most one operation and nothing queued meanwhile: requests
  // come one at a time, and the next may run inline. Under concurrent requests it is false,
  // so they keep forming groups on the writer thread (an inline group of one between them
  // would cost an fsync of its own: -8 % creates at 16 clients when it was allowed).
  bool alone_ = true;
  // The checkpoint the WAL's length calls for (wal_checkpointer.h), which the writer thread
  // does between turns: at once, or once no turn was taken for WalCheckpointer::kQuietWait.
  enum class Checkpoint { kNone, kWhenQuiet, kNow };
  Checkpoint checkpoint_ = Checkpoint::kNone;
  std::chrono::steady_clock::time_point turn_ended_{};
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace flare::daemon

#include "daemon/store/writer.h"

#include <SQLiteCpp/Exception.h>
#include <cxxabi.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "common/thread_name.h"
#include "daemon/log.h"
#include "daemon/store/counter_deltas.h"
#include "daemon/store/schema.h"
#include "daemon/store/sqlite_stores.h"
#include "daemon/store/stored_spec.h"
#include "daemon/store/wal_write_gathering.h"

namespace flare::daemon {

// One queued operation; it lives on the submitting thread's stack, which returns (and
// destroys it) as soon as it sees `done`. So the writer wakes it through `signal`, which both
// own: the writer takes its own reference before setting `done`, and notifies after it has
// let go of the mutex. Notifying while holding it made every answer a ping-pong on this
// 2-core machine: the woken submitter preempted the writer, blocked on the mutex the writer
// still held, and both switched again (~1.6 of the ~7.5 thread switches a create cost at
// one client, perf sched_switch). Each operation has its own signal, not the queue's mutex: a
// group's submitters woken together would otherwise each wake only to block on that one.
struct Writer::Pending {
  struct Signal {
    std::mutex mutex;
    bool done = false;
    std::condition_variable finished;
  };
  Sync sync = Sync::kDurable;
  Body body;
  OnFailure on_failure;
  std::shared_ptr<Signal> signal;  // made when the operation is queued (not when run inline)

  void Finish() {
    std::shared_ptr<Signal> keep = signal;  // `this` may be gone once `done` is set
    {
      std::lock_guard lock(keep->mutex);
      keep->done = true;
    }
    keep->finished.notify_one();
  }
  void AwaitFinish() {
    std::unique_lock lock(signal->mutex);
    signal->finished.wait(lock, [&] { return signal->done; });
  }
};

namespace {
// A single transaction holds at most this many operations, so one huge burst cannot
// make the first request in it wait for all the others.
constexpr size_t kMaxOpsInGroup = 512;

// Runs one of the writer's transaction statements from the connection's cache. Every group
// costs a BEGIN and a COMMIT, and one whose first try failed a SAVEPOINT and a RELEASE per
// operation; through sqlite3_exec each was parsed again (about 6% of flared's CPU when
// creating jobs one by one).
void Step(Connection& connection, const char* sql) { connection.Prepare(sql).exec(); }

// The writer whose thread this is, if any: an operation or after-commit action that calls
// Writer::Run would wait for itself forever.
thread_local const Writer* t_writer_of_this_thread = nullptr;

// An after-commit action slower than this stalls every write queued behind it.
constexpr auto kSlowAction = std::chrono::milliseconds(5);

// The readable type of an action (for a lambda, the function that registered it).
std::string ActionName(const std::function<void()>& action) {
  const char* mangled = action.target_type().name();
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? demangled.get() : mangled;
}

// Resets every cached statement of the writer's connection when a transaction ends, however
// it ends. A lookup that stopped after its first row would otherwise keep a read transaction
// open across commits, and SQLite could never restart (so never stop growing) the WAL.
class ResetStatementsOnExit {
 public:
  explicit ResetStatementsOnExit(Connection& connection) : connection_(connection) {}
  ~ResetStatementsOnExit() { connection_.ResetStatements(); }
  ResetStatementsOnExit(const ResetStatementsOnExit&) = delete;
  ResetStatementsOnExit& operator=(const ResetStatementsOnExit&) = delete;

 private:
  Connection& connection_;
};

// Points the connection's counters at a group's sums for the life of this object.
class DeferCountersWhileInScope {
 public:
  DeferCountersWhileInScope(Connection& connection, CounterDeltas& counters)
      : connection_(connection) {
    connection_.set_deferred_counters(&counters);
  }
  ~DeferCountersWhileInScope() { connection_.set_deferred_counters(nullptr); }
  DeferCountersWhileInScope(const DeferCountersWhileInScope&) = delete;
  DeferCountersWhileInScope& operator=(const DeferCountersWhileInScope&) = delete;

 private:
  Connection& connection_;
};

// The WAL file of the writer's connection, opened for fdatasync; -1 when the database is
// not in WAL mode (an in-memory database) or the file cannot be opened.
// The writer's connection gathers each commit's WAL writes into one (wal_write_gathering.h).
std::unique_ptr<Connection> OpenWriterConnection(const std::string& path, Durability durability) {
  return std::make_unique<Connection>(path, durability, Access::kReadWrite, WalWriteGatheringVfs());
}

int OpenWal(Connection& connection) {
  std::string mode = connection.db().execAndGet("PRAGMA journal_mode").getString();
  if (mode != "wal") return -1;
  sqlite3_filename db_file = sqlite3_db_filename(connection.db().getHandle(), "main");
  const char* wal = db_file ? sqlite3_filename_wal(db_file) : nullptr;
  if (!wal || !*wal) return -1;
  return ::open(wal, O_RDWR | O_CLOEXEC);
}
}  // namespace

Writer::Writer(const std::string& path, Durability durability, const Clock& clock)
    : connection_(OpenWriterConnection(path, durability)),
      stores_(std::make_unique<SqliteStores>(*connection_)),
      checkpointer_(*connection_, stats_),
      clock_(clock) {
  MigrateSchema(*connection_);  // it wrote (or read) the database: the WAL file exists now
  if (durability == Durability::kFull) {
    wal_fd_ = OpenWal(*connection_);
    // The writer syncs the WAL itself after each group that holds a durable operation, so
    // SQLite's commits need not (see DURABILITY BY CONSEQUENCE in writer.h). Without the
    // file, SQLite keeps syncing every commit (synchronous=FULL).
    if (wal_fd_ >= 0) {
      connection_->Exec("PRAGMA synchronous=NORMAL");
    } else {
      LogWarn("could not open the WAL file to sync it; every commit syncs (synchronous=FULL)");
    }
  }
  thread_ = NamedThread("writer", [this] { Loop(); });
}

Writer::~Writer() {
  Stop();
  if (wal_fd_ >= 0) ::close(wal_fd_);
}

void Writer::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t Writer::commit_count() const { return commits_.load(); }

uint64_t Writer::sync_count() const { return syncs_.load(); }

void Writer::Submit(Sync sync, Body body, OnFailure on_failure) {
  Pending pending;
  pending.sync = sync;
  pending.body = std::move(body);
  pending.on_failure = std::move(on_failure);
  if (t_writer_of_this_thread == this) {
    LogError(
        "Writer::Run called while running the writer's operations (from an operation or "
        "after-commit action)");
    pending.on_failure(Error{ErrorCode::kInternal, "the write failed inside flared; retry"});
    return;
  }
  bool wake_writer = false;
  {
    std::unique_lock lock(mutex_);
    if (stopping_) {
      lock.unlock();
      pending.on_failure(Error{ErrorCode::kUnavailable, "flared is shutting down; retry shortly"});
      return;
    }
    // A due checkpoint goes first: inline writes would otherwise take the turn from the
    // writer thread again and again, and the WAL would grow without bound.
    if (!busy_ && queue_.empty() && alone_ && checkpoint_ != Checkpoint::kNow) {
      busy_ = true;
      lock.unlock();
      RunInline(pending);
      return;
    }
    pending.signal = std::make_shared<Pending::Signal>();
    queue_.push_back(&pending);
    // Whoever holds the turn wakes the writer as it lets go (LetGo).
    wake_writer = !busy_ && queue_.size() == 1;
  }
  // Outside the lock, or the woken writer would preempt this thread only to block on it.
  if (wake_writer) wake_.notify_one();
  pending.AwaitFinish();
}

void Writer::RunInline(Pending& pending) {
  // Restored after: an operation of another writer (a test's second database) may be the
  // caller, and must keep its own protection against waiting for itself.
  const Writer* outer = t_writer_of_this_thread;
  t_writer_of_this_thread = this;
  std::vector<Pending*> group{&pending};
  CommitGroup(group);
  t_writer_of_this_thread = outer;
  LetGo(group.size());
}

void Writer::CommitGroup(std::vector<Pending*>& group) {
  auto began = std::chrono::steady_clock::now();
  std::vector<Action> actions = RunBatch(group);
  stats_.commit_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  stats_.group_size.Observe(static_cast<double>(group.size()));
  SyncIfDurable(group);
  RunAfterCommit(actions);
  commits_.fetch_add(1, std::memory_order_relaxed);
}

void Writer::LetGo(size_t committed_ops) {
  bool wake_writer;
  {
    std::lock_guard lock(mutex_);
    busy_ = false;
    turn_ended_ = std::chrono::steady_clock::now();
    const Checkpoint was = checkpoint_;
    alone_ = queue_.empty() && committed_ops <= 1;
    // After a commit the WAL's length says what is due (read by the turn's holder: the
    // length is only its to change). After a checkpoint nothing is, until the next commit:
    // one that readers outlasted leaves the WAL long, and would otherwise be tried at once
    // again and again.
    checkpoint_ = committed_ops == 0                   ? Checkpoint::kNone
                  : checkpointer_.WantsCheckpointNow() ? Checkpoint::kNow
                  : checkpointer_.WantsQuietMoment()   ? Checkpoint::kWhenQuiet
                                                       : Checkpoint::kNone;
    // The writer thread, if it is the caller, looks again before it sleeps; waking it for
    // a quiet moment once is enough (it then sleeps until the moment's deadline).
    wake_writer = !queue_.empty() || stopping_ || checkpoint_ == Checkpoint::kNow ||
                  (checkpoint_ == Checkpoint::kWhenQuiet && was == Checkpoint::kNone);
  }
  if (wake_writer) wake_.notify_one();
}

void Writer::Loop() {
  t_writer_of_this_thread = this;
  GiveThisThreadItsOwnSpecMemory();  // it reads the jobs of nearly every write
  std::vector<Pending*> batch;
  std::unique_lock lock(mutex_);
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    if (busy_) {
      // A submitter runs inline; it wakes this thread as it lets go if work is left. While a
      // quiet moment is awaited it may not (see LetGo), so this thread looks again by then.
      if (checkpoint_ == Checkpoint::kWhenQuiet) {
        wake_.wait_for(lock, WalCheckpointer::kQuietWait);
      } else {
        wake_.wait(lock);
      }
      continue;
    }
    // Answered first, then checkpointed: the group that filled the WAL does not wait for
    // its checkpoint, but the next group does (inline submitters too, see Submit). A quiet
    // moment (no turn taken for kQuietWait, nothing queued) is used early.
    const auto quiet_at = turn_ended_ + WalCheckpointer::kQuietWait;
    if (checkpoint_ == Checkpoint::kNow ||
        (checkpoint_ == Checkpoint::kWhenQuiet && queue_.empty() && now >= quiet_at)) {
      const bool quiet = checkpoint_ == Checkpoint::kWhenQuiet;
      busy_ = true;
      lock.unlock();
      checkpointer_.AfterCommit(quiet);
      LetGo(/*committed_ops=*/0);
      lock.lock();
      continue;
    }
    if (!queue_.empty()) {
      busy_ = true;
      while (!queue_.empty() && batch.size() < kMaxOpsInGroup) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      lock.unlock();
      CommitGroup(batch);
      // The turn is let go before the answers: a woken submitter preempts this thread, and
      // its client's next request would otherwise find the writer busy and queue.
      LetGo(batch.size());
      // Once finished, a submitter may return and destroy its `pending`: nothing after this.
      for (Pending* pending : batch) pending->Finish();
      batch.clear();
      lock.lock();
      continue;
    }
    if (stopping_) return;  // drained
    if (checkpoint_ == Checkpoint::kWhenQuiet) {
      wake_.wait_until(lock, quiet_at);
    } else {
      wake_.wait(lock);
    }
  }
}

std::vector<Writer::Action> Writer::RunBatch(std::vector<Pending*>& batch) {
  // After a group that went again, the next ones take savepoints from the start until one
  // runs without a failure: writes that keep failing (a client sending bad acks, say) cost
  // their groups one run each, not two.
  if (!savepoints_first_) {
    std::vector<Action> after_commit;
    if (RunWithoutSavepoints(batch, after_commit)) return after_commit;
  }
  return RunWithSavepoints(batch);
}

namespace {
template <typename Actions>
void MoveInto(Actions& into, Actions& from) {
  for (auto& action : from) into.push_back(std::move(action));
  from.clear();
}

// A rollback that fails leaves the connection to the next BEGIN, which then fails the group
// it starts (reported there); nothing more can be done here.
void RollBack(Connection& connection) {
  try {
    connection.Exec("ROLLBACK");
  } catch (const std::exception& e) {
    LogError("rollback failed", {{"error", e.what()}});
  }
}
}  // namespace

bool Writer::RunBody(Pending& pending, Tx& tx, bool report_a_throw) {
  try {
    return pending.body(tx);
  } catch (const std::exception& e) {
    if (report_a_throw) {
      LogError("write failed", {{"error", e.what()}});
      pending.on_failure(Error{ErrorCode::kInternal, "the write failed inside flared; retry"});
    }
    return false;
  }
}

void Writer::FailGroup(std::vector<Pending*>& batch, Tx& tx, std::vector<Action>& on_abort,
                       const std::exception& error) {
  LogError("commit failed", {{"error", error.what()}});
  RollBack(*connection_);
  for (Pending* pending : batch) {
    pending->on_failure(Error{ErrorCode::kInternal, "flared could not commit the write; retry"});
  }
  // An operation that failed half-way through its own steps is in neither list yet.
  MoveInto(on_abort, tx.on_abort_);
  RunAfterCommit(on_abort);
}

bool Writer::RunWithoutSavepoints(std::vector<Pending*>& batch, std::vector<Action>& after_commit) {
  ResetStatementsOnExit reset(*connection_);
  Tx tx(*connection_, *stores_, clock_.Now());
  std::vector<Action> on_abort;  // of every operation run so far
  CounterDeltas counters;
  DeferCountersWhileInScope defer(*connection_, counters);
  const bool alone = batch.size() == 1;
  try {
    Step(*connection_, "BEGIN IMMEDIATE");
    bool failed = false;
    for (Pending* pending : batch) {
      // Of several, a body that throws runs again with a savepoint, which reports it then.
      failed = !RunBody(*pending, tx, /*report_a_throw=*/alone);
      MoveInto(on_abort, tx.on_abort_);
      if (failed) break;
      MoveInto(after_commit, tx.after_commit_);
      counters.KeepOperation();
    }
    if (failed || every_group_twice_.load(std::memory_order_relaxed)) {
      tx.after_commit_.clear();
      after_commit.clear();
      RollBack(*connection_);
      RunAfterCommit(on_abort);  // the same hand-off rules and timing as after-commit actions
      return failed && alone;    // a lone operation's failure is its answer
    }
    counters.Flush(*connection_);
    Step(*connection_, "COMMIT");
    return true;
  } catch (const std::exception& e) {
    after_commit.clear();
    FailGroup(batch, tx, on_abort, e);
    return true;
  }
}

std::vector<Writer::Action> Writer::RunWithSavepoints(std::vector<Pending*>& batch) {
  savepoints_first_ = false;  // until an operation fails below
  ResetStatementsOnExit reset(*connection_);
  Tx tx(*connection_, *stores_, clock_.Now());
  std::vector<Action> after_commit;
  std::vector<Action> on_abort;  // of the operations kept so far, should the group fail
  // The group's counter changes, summed and written once before COMMIT (counter_deltas.h).
  CounterDeltas counters;
  DeferCountersWhileInScope defer(*connection_, counters);
  try {
    Step(*connection_, "BEGIN IMMEDIATE");
    for (Pending* pending : batch) {
      tx.after_commit_.clear();
      tx.on_abort_.clear();
      Step(*connection_, "SAVEPOINT op");
      if (RunBody(*pending, tx, /*report_a_throw=*/true)) {
        MoveInto(on_abort, tx.on_abort_);
        Step(*connection_, "RELEASE op");
        counters.KeepOperation();
        MoveInto(after_commit, tx.after_commit_);
      } else {
        std::vector<Action> aborted = std::move(tx.on_abort_);
        tx.on_abort_.clear();
        RunAfterCommit(aborted);  // the same hand-off rules and timing as after-commit actions
        Step(*connection_, "ROLLBACK TO op");
        Step(*connection_, "RELEASE op");
        counters.DropOperation();
        savepoints_first_ = true;
      }
    }
    counters.Flush(*connection_);
    Step(*connection_, "COMMIT");
  } catch (const std::exception& e) {
    FailGroup(batch, tx, on_abort, e);
    return {};
  }
  return after_commit;
}

bool Writer::SyncIfDurable(const std::vector<Pending*>& batch) {
  if (wal_fd_ < 0) return true;
  bool durable = false;
  for (const Pending* pending : batch) durable = durable || pending->sync == Sync::kDurable;
  if (!durable) {
    stats_.relaxed_groups.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  // Even after a failed transaction: the frames of earlier relaxed groups are made durable.
  auto began = std::chrono::steady_clock::now();
  int rc = ::fdatasync(wal_fd_);
  stats_.sync_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  syncs_.fetch_add(1, std::memory_order_relaxed);
  if (rc == 0) return true;
  // The group is committed (readers see it) but may not survive a power cut: its durable
  // operations are not answered "on disk". Their retry is safe where SPEC makes it so
  // (Idempotency-Key); PostgreSQL would stop here, flared reports and goes on.
  LogError("fdatasync of the WAL failed", {{"errno", errno}});
  for (Pending* pending : batch) {
    if (pending->sync == Sync::kDurable) {
      pending->on_failure(
          Error{ErrorCode::kInternal, "flared could not make the write durable; retry"});
    }
  }
  return false;
}

void Writer::RunAfterCommit(std::vector<Action>& actions) {
  for (Action& action : actions) {
    auto start = std::chrono::steady_clock::now();
    try {
      action();
    } catch (const std::exception& e) {
      // The write is committed and answered as such; a failed signal must not end the writer.
      LogError("after-commit action failed", {{"action", ActionName(action)}, {"error", e.what()}});
    }
    auto took = std::chrono::steady_clock::now() - start;
    if (took > kSlowAction) {
      LogWarn("slow after-commit action held the writer",
              {{"action", ActionName(action)},
               {"ms", std::chrono::duration<double, std::milli>(took).count()}});
    }
  }
}

}  // namespace flare::daemon

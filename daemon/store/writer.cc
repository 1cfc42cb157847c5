#include "daemon/store/writer.h"

#include <SQLiteCpp/Exception.h>

#include "daemon/log.h"
#include "daemon/store/schema.h"

namespace flare::daemon {

// One queued operation; it lives on the submitting thread's stack until `done`.
struct Writer::Pending {
  Body body;
  OnFailure on_failure;
  bool done = false;
  std::condition_variable finished;
};

namespace {
// A single transaction holds at most this many operations, so one huge burst cannot
// make the first request in it wait for all the others.
constexpr size_t kMaxBatch = 512;

// Runs one of the writer's transaction statements from the connection's cache. Every
// operation costs a SAVEPOINT and a RELEASE; through sqlite3_exec each was parsed again
// (about 6% of flared's CPU when creating jobs one by one).
void Step(Connection& connection, const char* sql) { connection.Prepare(sql).exec(); }
}  // namespace

Writer::Writer(const std::string& path, Durability durability, const Clock& clock)
    : connection_(std::make_unique<Connection>(path, durability, Access::kReadWrite)),
      clock_(clock) {
  MigrateSchema(*connection_);
  thread_ = std::thread([this] { Loop(); });
}

Writer::~Writer() { Stop(); }

void Writer::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t Writer::commit_count() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

void Writer::Submit(Body body, OnFailure on_failure) {
  Pending pending;
  pending.body = std::move(body);
  pending.on_failure = std::move(on_failure);
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    pending.on_failure(Error{ErrorCode::kUnavailable, "flared is shutting down; retry shortly"});
    return;
  }
  queue_.push_back(&pending);
  if (queue_.size() == 1) wake_.notify_one();
  pending.finished.wait(lock, [&] { return pending.done; });
}

void Writer::Loop() {
  std::vector<Pending*> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    {
      std::lock_guard lock(mutex_);
      ++commits_;
      for (Pending* pending : batch) pending->done = true;
    }
    for (Pending* pending : batch) pending->finished.notify_one();
    batch.clear();
  }
}

void Writer::RunBatch(std::vector<Pending*>& batch) {
  Tx tx(*connection_, clock_.Now());
  std::vector<std::function<void()>> after_commit;
  try {
    Step(*connection_, "BEGIN IMMEDIATE");
    for (Pending* pending : batch) {
      tx.after_commit_.clear();
      Step(*connection_, "SAVEPOINT op");
      bool keep = false;
      try {
        keep = pending->body(tx);
      } catch (const std::exception& e) {
        LogError("write failed", {{"error", e.what()}});
        pending->on_failure(Error{ErrorCode::kInternal, "the write failed inside flared; retry"});
      }
      if (keep) {
        Step(*connection_, "RELEASE op");
        for (auto& action : tx.after_commit_) after_commit.push_back(std::move(action));
      } else {
        Step(*connection_, "ROLLBACK TO op");
        Step(*connection_, "RELEASE op");
      }
    }
    Step(*connection_, "COMMIT");
  } catch (const std::exception& e) {
    // The transaction as a whole failed (disk full, I/O error): nothing of it stands.
    LogError("commit failed", {{"error", e.what()}});
    try {
      connection_->Exec("ROLLBACK");
    } catch (const std::exception&) {
    }
    for (Pending* pending : batch) {
      pending->on_failure(Error{ErrorCode::kInternal, "flared could not commit the write; retry"});
    }
    return;
  }
  for (auto& action : after_commit) action();
}

}  // namespace flare::daemon

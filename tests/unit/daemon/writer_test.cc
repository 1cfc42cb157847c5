// Group commit: concurrent operations share transactions; a failing one rolls back alone.

#include "daemon/store/writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/log.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

// The table `t (v INTEGER)` the tests write to.
void CreateTable(Writer& writer) {
  ASSERT_TRUE(writer
                  .Run<Ok>([](Tx& tx) -> Status {
                    tx.conn().Exec("CREATE TABLE t (v INTEGER)");
                    return Ok{};
                  })
                  .ok());
}

using Body = std::function<Status(Tx&)>;

// Runs `bodies` from threads of their own while a first operation (which succeeds or is
// refused, as `holder_refused` says) holds the writer's turn, so that they queue behind it
// and make one group. Returns their results in order, and whether they did make one group
// (a thread that the machine left asleep past the hold misses it).
std::pair<std::vector<Status>, bool> RunAsOneGroup(Writer& writer, const std::vector<Body>& bodies,
                                                   bool holder_refused = false) {
  std::vector<std::atomic<bool>> submitting(bodies.size());
  std::vector<std::optional<Status>> results(bodies.size());
  std::atomic<bool> holding{false};
  const uint64_t commits_before = writer.commit_count();
  std::thread holder([&] {
    auto held = writer.Run<Ok>([&](Tx&) -> Status {
      holding = true;
      for (const auto& flag : submitting)
        while (!flag.load()) std::this_thread::yield();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (holder_refused) return InvalidRequest("held");
      return Ok{};
    });
    EXPECT_EQ(held.ok(), !holder_refused);
  });
  // Queued only once the holder runs: one queued before it could share its group.
  while (!holding.load()) std::this_thread::yield();
  std::vector<std::thread> submitters;
  for (size_t i = 0; i < bodies.size(); ++i) {
    submitters.emplace_back([&, i] {
      submitting[i] = true;
      results[i] = writer.Run<Ok>(bodies[i]);
    });
  }
  holder.join();
  for (auto& submitter : submitters) submitter.join();
  std::vector<Status> done;
  for (auto& result : results) done.push_back(std::move(*result));
  return {std::move(done), writer.commit_count() - commits_before == 2};
}

TEST(Writer, ConcurrentOperationsShareCommits) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kFull, SystemClock::Instance());
  CreateTable(writer);
  uint64_t before = writer.commit_count();
  constexpr int kThreads = 16, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto done = writer.Run<Ok>([](Tx& tx) -> Status {
          tx.conn().Exec("INSERT INTO t VALUES (1)");
          return Ok{};
        });
        ASSERT_TRUE(done.ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  uint64_t commits = writer.commit_count() - before;
  auto count = writer.Run<int64_t>([](Tx& tx) -> Result<int64_t> {
    return tx.conn().db().execAndGet("SELECT COUNT(*) FROM t").getInt64();
  });
  EXPECT_EQ(*count, kThreads * kEach);
  EXPECT_LT(commits, static_cast<uint64_t>(kThreads * kEach)) << "no commit was shared";
}

TEST(Writer, AStatementThatDoesNotCompileFailsItsOperationAndNotTheWriter) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kFull, SystemClock::Instance());
  auto bad = writer.Run<Ok>([](Tx& tx) -> Status {
    tx.conn().Prepare("SELECT no_such_column FROM no_such_table");
    return Ok{};
  });
  EXPECT_FALSE(bad.ok());
  // The writer resets every cached statement after each transaction; the failed compile
  // left an empty slot behind, which must not bring the writer (and flared) down.
  auto next = writer.Run<int64_t>([](Tx& tx) -> Result<int64_t> {
    return tx.conn().db().execAndGet("SELECT 41 + 1").getInt64();
  });
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 42);
}

TEST(Writer, AFailedOperationRollsBackAloneAndSkipsItsAfterCommitActions) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kNormal, SystemClock::Instance());
  CreateTable(writer);
  std::atomic<int> actions{0};
  auto failed = writer.Run<Ok>([&](Tx& tx) -> Status {
    tx.conn().Exec("INSERT INTO t VALUES (1)");
    tx.OnCommit([&] { ++actions; });
    return InvalidRequest("no");
  });
  EXPECT_FALSE(failed.ok());
  auto thrown = writer.Run<Ok>([&](Tx& tx) -> Status {
    tx.conn().Exec("INSERT INTO t VALUES (2)");
    tx.conn().Exec("INSERT INTO missing VALUES (1)");
    return Ok{};
  });
  ASSERT_FALSE(thrown.ok());
  EXPECT_EQ(thrown.error().code, ErrorCode::kInternal);
  auto kept = writer.Run<Ok>([&](Tx& tx) -> Status {
    tx.conn().Exec("INSERT INTO t VALUES (3)");
    tx.OnCommit([&] { ++actions; });
    return Ok{};
  });
  EXPECT_TRUE(kept.ok());
  auto sum = writer.Run<int64_t>([](Tx& tx) -> Result<int64_t> {
    return tx.conn().db().execAndGet("SELECT SUM(v) FROM t").getInt64();
  });
  EXPECT_EQ(*sum, 3);
  EXPECT_EQ(actions.load(), 1);
}

// OnAbort is the other half of OnCommit: exactly one of them runs for an operation that
// registered both (the executor's call slots rely on it, executor.h).
TEST(Writer, AbortActionsRunOnlyForOperationsThatRollBack) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kNormal, SystemClock::Instance());
  CreateTable(writer);
  struct Case {
    const char* what;
    std::function<Status(Tx&)> body;
    int committed, aborted;  // totals expected after it
  };
  const std::vector<Case> cases = {
      {"refused", [](Tx&) -> Status { return InvalidRequest("no"); }, 0, 1},
      {"thrown",
       [](Tx& tx) -> Status {
         tx.conn().Exec("INSERT INTO missing VALUES (1)");
         return Ok{};
       },
       0, 2},
      {"kept",
       [](Tx& tx) -> Status {
         tx.conn().Exec("INSERT INTO t VALUES (1)");
         return Ok{};
       },
       1, 2},
  };
  std::atomic<int> committed{0}, aborted{0};
  for (const Case& c : cases) {
    auto done = writer.Run<Ok>([&](Tx& tx) -> Status {
      tx.OnCommit([&] { ++committed; });
      tx.OnAbort([&] { ++aborted; });
      return c.body(tx);
    });
    EXPECT_EQ(done.ok(), c.committed > 0) << c.what;
    EXPECT_EQ(committed.load(), c.committed) << c.what;
    EXPECT_EQ(aborted.load(), c.aborted) << c.what;
  }
}

// A group runs first without savepoints; when one of its operations fails, the group rolls
// back and runs again with a savepoint each (writer.h). Whatever the tries, each operation
// ends as if it had run alone: its writes stand only if it succeeded, and every run of its
// body ends in exactly one of its commit or abort actions.
TEST(Writer, OperationsGroupedWithFailingOnesCommitAloneAndEachRunEndsInOneHandOff) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kNormal, SystemClock::Instance());
  CreateTable(writer);
  enum class Ends { kKept, kRefused, kThrows };
  struct Op {
    int value;
    Ends ends;
    std::atomic<int> runs{0}, committed{0}, aborted{0};
  };
  const std::pair<int, Ends> kOps[] = {{1, Ends::kKept},        {10, Ends::kRefused},
                                       {100, Ends::kThrows},    {1000, Ends::kKept},
                                       {10000, Ends::kRefused}, {100000, Ends::kKept}};
  auto round = [&] {
    EXPECT_TRUE(writer
                    .Run<Ok>([](Tx& tx) -> Status {
                      tx.conn().Exec("DELETE FROM t");
                      return Ok{};
                    })
                    .ok());
    std::vector<std::unique_ptr<Op>> ops;
    std::vector<Body> bodies;
    for (const auto& [value, ends] : kOps) {
      ops.push_back(std::make_unique<Op>());
      Op& op = *ops.back();
      op.value = value;
      op.ends = ends;
      bodies.push_back([&op](Tx& tx) -> Status {
        ++op.runs;
        tx.OnCommit([&op] { ++op.committed; });
        tx.OnAbort([&op] { ++op.aborted; });
        tx.conn().Exec(("INSERT INTO t VALUES (" + std::to_string(op.value) + ")").c_str());
        if (op.ends == Ends::kThrows) tx.conn().Exec("INSERT INTO missing VALUES (1)");
        if (op.ends == Ends::kRefused) return InvalidRequest("no");
        return Ok{};
      });
    }
    auto [results, grouped] = RunAsOneGroup(writer, bodies);

    auto sum = writer.Run<int64_t>([](Tx& tx) -> Result<int64_t> {
      return tx.conn().db().execAndGet("SELECT SUM(v) FROM t").getInt64();
    });
    EXPECT_EQ(*sum, 1 + 1000 + 100000);
    for (size_t i = 0; i < ops.size(); ++i) {
      const Op& op = *ops[i];
      SCOPED_TRACE(op.value);
      EXPECT_EQ(results[i].ok(), op.ends == Ends::kKept);
      if (op.ends == Ends::kRefused) {
        EXPECT_EQ(results[i].error().code, ErrorCode::kInvalidRequest);
      }
      if (op.ends == Ends::kThrows) {
        EXPECT_EQ(results[i].error().code, ErrorCode::kInternal);
      }
      EXPECT_EQ(op.committed.load(), op.ends == Ends::kKept ? 1 : 0);
      EXPECT_EQ(op.committed.load() + op.aborted.load(), op.runs.load());
    }
    return grouped;
  };
  bool grouped = false;
  for (int attempt = 0; attempt < 5 && !grouped; ++attempt) grouped = round();
  EXPECT_TRUE(grouped) << "in five rounds the six never made one group";
}

// Writes that keep failing must not make every group run twice (writer.h): after a group
// that went again, the next takes savepoints from the start while failures go on.
TEST(Writer, WhileWritesKeepFailingEachGroupRunsItsOperationsOnce) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kNormal, SystemClock::Instance());
  CreateTable(writer);
  std::atomic<int> runs{0};  // of both bodies
  const std::vector<Body> bodies = {[&](Tx&) -> Status {
                                      ++runs;
                                      return InvalidRequest("no");
                                    },
                                    [&](Tx& tx) -> Status {
                                      ++runs;
                                      tx.conn().Exec("INSERT INTO t VALUES (1)");
                                      return Ok{};
                                    }};
  bool measured = false;
  for (int attempt = 0; attempt < 5 && !measured; ++attempt) {
    runs = 0;
    auto [first, first_grouped] = RunAsOneGroup(writer, bodies);
    const int first_runs = runs.exchange(0);
    // A refused holder keeps the failures going between the two groups.
    auto [second, second_grouped] = RunAsOneGroup(writer, bodies, /*holder_refused=*/true);
    EXPECT_FALSE(first[0].ok());
    EXPECT_TRUE(first[1].ok());
    EXPECT_FALSE(second[0].ok());
    EXPECT_TRUE(second[1].ok());
    if (!first_grouped || !second_grouped) continue;
    measured = true;
    // 3 or 4, as the refused body came first or second.
    EXPECT_GT(first_runs, 2) << "the first group did not go again";
    EXPECT_EQ(runs.load(), 2) << "the second group went again too";
  }
  EXPECT_TRUE(measured) << "in five attempts the operations never made their groups";
}

// Each submitter waits on a condition variable in its own stack frame and returns as soon as
// it sees its operation done; the writer must be finished with that frame by then. Run under
// ASan (stack-use-after-return) and TSan, many short operations from many threads.
TEST(Writer, ManyThreadsSubmittingTinyOperationsAllGetTheirOwnResult) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kNormal, SystemClock::Instance());
  constexpr int kThreads = 32, kEach = 400;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::atomic<int> wrong{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach && std::chrono::steady_clock::now() < give_up; ++i) {
        int mine = t * kEach + i;
        auto answer = writer.Run<int>([&](Tx& tx) -> Result<int> {
          tx.OnCommit([] {});
          return mine;
        });
        if (!answer.ok() || *answer != mine) ++wrong;
        ++done;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(done.load(), kThreads) << "the hammer did not get going within its time";
}

TEST(Writer, ASlowAfterCommitActionIsReportedByName) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kNormal, SystemClock::Instance());
  ConfigureLog(LogFormat::kText, LogLevel::kWarn);
  ::testing::internal::CaptureStderr();
  auto done = writer.Run<Ok>([](Tx& tx) -> Status {
    // The defect being reported: an action that blocks the writer thread.
    tx.OnCommit([] { std::this_thread::sleep_for(std::chrono::milliseconds(30)); });
    return Ok{};
  });
  std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(done.ok());
  EXPECT_NE(log.find("slow after-commit action"), std::string::npos) << log;
  EXPECT_NE(log.find("ASlowAfterCommitActionIsReportedByName"), std::string::npos)
      << "the warning should name the code that registered the action: " << log;
}

TEST(Writer, AnAfterCommitActionThatThrowsLeavesTheWriterRunning) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kNormal, SystemClock::Instance());
  ConfigureLog(LogFormat::kText, LogLevel::kError);
  auto first = writer.Run<Ok>([](Tx& tx) -> Status {
    tx.OnCommit([] { throw std::runtime_error("signal failed"); });
    return Ok{};
  });
  EXPECT_TRUE(first.ok()) << "the write was committed";
  EXPECT_TRUE(writer.Run<int>([](Tx&) -> Result<int> { return 1; }).ok());
}

TEST(Writer, RunFromAnAfterCommitActionFailsInsteadOfWaitingForItself) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kNormal, SystemClock::Instance());
  ConfigureLog(LogFormat::kText, LogLevel::kError);
  std::optional<Status> nested;
  auto outer = writer.Run<Ok>([&](Tx& tx) -> Status {
    tx.OnCommit([&] { nested = writer.Run<Ok>([](Tx&) -> Status { return Ok{}; }); });
    return Ok{};
  });
  EXPECT_TRUE(outer.ok());
  ASSERT_TRUE(nested.has_value());
  EXPECT_FALSE(nested->ok());
  EXPECT_TRUE(writer.Run<int>([](Tx&) -> Result<int> { return 2; }).ok());
}

// A request that finds the writer idle runs its operation on its own thread (ALONE in
// writer.h): a Run from inside that operation must fail the same way, not wait for itself.
TEST(Writer, RunFromInsideAnOperationFailsInsteadOfWaitingForItself) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kNormal, SystemClock::Instance());
  ConfigureLog(LogFormat::kText, LogLevel::kError);
  std::optional<Status> nested;
  auto outer = writer.Run<Ok>([&](Tx&) -> Status {
    nested = writer.Run<Ok>([](Tx&) -> Status { return Ok{}; });
    return Ok{};
  });
  EXPECT_TRUE(outer.ok());
  ASSERT_TRUE(nested.has_value());
  EXPECT_FALSE(nested->ok());
  EXPECT_TRUE(writer.Run<int>([](Tx&) -> Result<int> { return 3; }).ok());
}

// Stop waits for an operation in progress, wherever it runs, and refuses later ones.
TEST(Writer, StopWaitsForTheOperationInProgressAndRefusesLaterOnes) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kFull, SystemClock::Instance());
  CreateTable(writer);
  std::mutex mutex;
  std::condition_variable changed;
  bool started = false, release = false;
  std::optional<Status> first;
  std::thread running([&] {
    first = writer.Run<Ok>([&](Tx& tx) -> Status {
      tx.conn().Exec("INSERT INTO t VALUES (1)");
      std::unique_lock lock(mutex);
      started = true;
      changed.notify_all();
      changed.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
      return Ok{};
    });
  });
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return started; }));
  }
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    writer.Stop();
    stopped = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(stopped.load()) << "Stop returned while an operation was still running";
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  running.join();
  stopper.join();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->ok()) << "the operation in progress was committed";
  auto later = writer.Run<Ok>([](Tx&) -> Status { return Ok{}; });
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().code, ErrorCode::kUnavailable);
}

// Durability by consequence (writer.h): a group of relaxed operations (claims, acks,
// heartbeats) commits without an fsync; the next group with a durable operation syncs the
// WAL once, which makes the earlier relaxed frames durable with it.
TEST(Writer, RelaxedCommitsDoNotSyncAndTheNextDurableCommitSyncs) {
  testing::TempDir dir;
  std::string path = (dir / "w.db").string();
  Writer writer(path, Durability::kFull, SystemClock::Instance());
  CreateTable(writer);
  uint64_t synced = writer.sync_count();
  EXPECT_GE(synced, 1u) << "a durable commit at --durability full syncs the WAL";
  Connection reader(path, Durability::kFull, Access::kReadOnly);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(writer
                    .RunRelaxed<Ok>([i](Tx& tx) -> Status {
                      auto& insert = tx.conn().Prepare("INSERT INTO t VALUES (?)");
                      insert.bind(1, i);
                      insert.exec();
                      return Ok{};
                    })
                    .ok());
    EXPECT_EQ(writer.sync_count(), synced) << "relaxed commit " << i << " synced";
    // Committed all the same: another connection (through the file, as a restarted flared
    // after kill -9 would) sees it.
    EXPECT_EQ(reader.db().execAndGet("SELECT COUNT(*) FROM t").getInt(), i);
  }
  ASSERT_TRUE(writer
                  .Run<Ok>([](Tx& tx) -> Status {
                    tx.conn().Exec("INSERT INTO t VALUES (4)");
                    return Ok{};
                  })
                  .ok());
  EXPECT_EQ(writer.sync_count(), synced + 1) << "one fsync for the durable commit";
  EXPECT_EQ(writer.stats().relaxed_groups.load(), 3u);
}

TEST(Writer, AGroupWithOneDurableOperationSyncsForAllOfIt) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kFull, SystemClock::Instance());
  uint64_t before = writer.sync_count();
  constexpr int kThreads = 8, kEach = 40;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto op = [](Tx&) -> Result<int> { return 1; };
        auto done = t % 2 == 0 ? writer.Run<int>(op) : writer.RunRelaxed<int>(op);
        if (!done.ok()) ++failed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  uint64_t syncs = writer.sync_count() - before;
  EXPECT_GE(syncs, 1u);
  EXPECT_LE(syncs, static_cast<uint64_t>(kThreads / 2 * kEach)) << "a sync per durable op at most";
}

// Answers come in commit order (writer.h): a relaxed operation submitted once a durable one
// has run is in a later group, and its answer never comes before the durable one's
// fdatasync, so it never reflects a write that a power cut could still take back.
TEST(Writer, ARelaxedAnswerNeverComesBeforeTheSyncOfAnEarlierDurableCommit) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kFull, SystemClock::Instance());
  CreateTable(writer);
  for (int round = 0; round < 50; ++round) {
    uint64_t synced = writer.sync_count();
    std::mutex mutex;
    std::condition_variable ran;
    bool durable_ran = false;
    std::thread durable([&] {
      auto done = writer.Run<Ok>([&](Tx& tx) -> Status {
        tx.conn().Exec("INSERT INTO t VALUES (1)");
        {
          std::lock_guard lock(mutex);
          durable_ran = true;
        }
        ran.notify_all();
        return Ok{};
      });
      EXPECT_TRUE(done.ok());
    });
    {
      std::unique_lock lock(mutex);
      ASSERT_TRUE(ran.wait_for(lock, std::chrono::seconds(10), [&] { return durable_ran; }));
    }
    auto relaxed = writer.RunRelaxed<Ok>([](Tx& tx) -> Status {
      tx.conn().Exec("INSERT INTO t VALUES (2)");
      return Ok{};
    });
    EXPECT_TRUE(relaxed.ok());
    EXPECT_GT(writer.sync_count(), synced) << "answered before the earlier durable sync";
    durable.join();
  }
}

// After-commit actions run group after group, in the order the operations committed: a
// wake-up never overtakes an earlier one.
TEST(Writer, AfterCommitActionsRunInCommitOrder) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kFull, SystemClock::Instance());
  constexpr int kThreads = 8, kEach = 100;
  int next_commit = 0;     // only the holder of the writer's turn touches it (bodies)
  std::vector<int> acted;  // and this (after-commit actions)
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto op = [&](Tx& tx) -> Status {
          tx.OnCommit([&acted, mine = next_commit++] { acted.push_back(mine); });
          return Ok{};
        };
        EXPECT_TRUE((t % 2 == 0 ? writer.Run<Ok>(op) : writer.RunRelaxed<Ok>(op)).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  writer.Stop();  // no turn is left in progress: `acted` is complete and ours to read
  ASSERT_EQ(acted.size(), static_cast<size_t>(kThreads * kEach));
  for (size_t i = 0; i < acted.size(); ++i) ASSERT_EQ(acted[i], static_cast<int>(i));
}

TEST(Writer, NormalDurabilityNeverSyncsTheWal) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kNormal, SystemClock::Instance());
  ASSERT_TRUE(writer.Run<int>([](Tx&) -> Result<int> { return 1; }).ok());
  ASSERT_TRUE(writer.RunRelaxed<int>([](Tx&) -> Result<int> { return 1; }).ok());
  EXPECT_EQ(writer.sync_count(), 0u);
}

}  // namespace
}  // namespace flare::daemon

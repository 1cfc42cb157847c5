// Group commit: concurrent operations share transactions; a failing one rolls back alone.

#include "daemon/store/writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

TEST(Writer, ConcurrentOperationsShareCommits) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kFull, SystemClock::Instance());
  ASSERT_TRUE(writer.Run<Ok>([](Tx& tx) -> Status {
    tx.conn().Exec("CREATE TABLE t (v INTEGER)");
    return Ok{};
  }).ok());
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

TEST(Writer, AFailedOperationRollsBackAloneAndSkipsItsAfterCommitActions) {
  testing::TempDir dir;
  Writer writer((dir / "w.db").string(), Durability::kNormal, SystemClock::Instance());
  ASSERT_TRUE(writer.Run<Ok>([](Tx& tx) -> Status {
    tx.conn().Exec("CREATE TABLE t (v INTEGER)");
    return Ok{};
  }).ok());
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

}  // namespace
}  // namespace flare::daemon

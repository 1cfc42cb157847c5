// The writer sums a group's counter changes and writes them before COMMIT: the counters
// must come out exactly as if every change had been written on its own, an operation that
// rolls back must count nothing, and outside a writer group a change is written at once.

#include "daemon/store/counter_deltas.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "daemon/store/run_repository.h"
#include "daemon/store/schema.h"
#include "daemon/store/usage_repository.h"
#include "daemon/store/writer.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_time.h"

namespace flare::daemon {
namespace {

const TimePoint kCreated = testing::At("2026-03-08T01:00:00Z");
const int64_t kCreatedDay = ToMillis(kCreated) / kMsPerDay;

RunRecord PendingRun(const std::string& id) {
  RunRecord run;
  run.id = id;
  run.project_id = "prj_a";
  run.job_id = "job_" + id;
  run.state = RunState::kPending;
  run.queue = "emails";
  run.job_type = "t";
  run.created_at = kCreated;
  return run;
}

QueueCount CountOf(Connection& c, const std::string& state) {
  for (const QueueCount& q : ReadQueueCounts(c, "prj_a")) {
    if (q.queue == "emails" && ToString(q.state) == state) return q;
  }
  return {};
}

class CounterDeltasTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::string path_ = (dir_ / "counters.db").string();
  Writer writer_{path_, Durability::kNormal, SystemClock::Instance()};
};

TEST_F(CounterDeltasTest, ConcurrentGroupsCountEveryRunOnce) {
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto done = writer_.Run<Ok>([&](Tx& tx) -> Status {
          RunRecord run = PendingRun("run_" + std::to_string(t) + "_" + std::to_string(i));
          InsertRun(tx.conn(), run);
          if (i % 2 == 0) {  // half of them also finish within the same operation
            run.state = RunState::kSucceeded;
            run.completed_at = kCreated;
            SaveRun(tx.conn(), run);
          }
          return Ok{};
        });
        ASSERT_TRUE(done.ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  Connection c(path_, Durability::kNormal, Access::kReadOnly);
  constexpr int kRuns = kThreads * kEach;
  EXPECT_EQ(CountOf(c, "pending").current, kRuns / 2);
  EXPECT_EQ(CountOf(c, "pending").entered, kRuns);
  EXPECT_EQ(CountOf(c, "succeeded").current, kRuns / 2);
  auto days = ReadDailyUsage(c, "prj_a", kCreatedDay, kCreatedDay);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].runs, kRuns);
  EXPECT_EQ(days[0].succeeded, kRuns / 2);
  RunStatsBucket stats = SumRunStats(c, "prj_a", 0);
  EXPECT_EQ(stats.created, kRuns);
  EXPECT_EQ(stats.succeeded, kRuns / 2);
}

TEST_F(CounterDeltasTest, AnOperationThatRollsBackCountsNothing) {
  auto kept = writer_.Run<Ok>([](Tx& tx) -> Status {
    RunRecord run = PendingRun("run_kept");
    InsertRun(tx.conn(), run);
    return Ok{};
  });
  ASSERT_TRUE(kept.ok());
  auto refused = writer_.Run<Ok>([](Tx& tx) -> Status {
    RunRecord run = PendingRun("run_refused");
    InsertRun(tx.conn(), run);
    return Error{ErrorCode::kInvalidRequest, "refused after the insert", ""};
  });
  EXPECT_FALSE(refused.ok());
  Connection c(path_, Durability::kNormal, Access::kReadOnly);
  EXPECT_EQ(CountOf(c, "pending").current, 1);
  EXPECT_EQ(SumRunStats(c, "prj_a", 0).created, 1);
}

TEST_F(CounterDeltasTest, WithoutAWriterGroupAChangeIsWrittenAtOnce) {
  writer_.Stop();
  Connection c(path_, Durability::kNormal, Access::kReadWrite);
  RunRecord run = PendingRun("run_direct");
  InsertRun(c, run);
  EXPECT_EQ(CountOf(c, "pending").current, 1);
  run.state = RunState::kProcessing;
  SaveRun(c, run);
  EXPECT_EQ(CountOf(c, "pending").current, 0);
  EXPECT_EQ(CountOf(c, "processing").current, 1);
}

}  // namespace
}  // namespace flare::daemon

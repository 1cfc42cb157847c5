// The SQLite worker store's Touch (WorkerStore::Touch): last seen moves forward only, to
// kWorkerSeenResolution, and a worker that never registered is told apart; TouchOrRegister
// registers only an unknown worker.

#include <gtest/gtest.h>

#include "daemon/store/schema.h"
#include "daemon/store/worker_repository.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

class WorkerTouchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MigrateSchema(c_);
    UpsertWorker(c_, {"p1", "w1", {"default"}, {}, At(100'000), At(100'000), 0});
  }
  TimePoint LastSeen() { return ListWorkers(c_, "p1").at(0).last_seen_at; }

  testing::TempDir dir_;
  Connection c_{(dir_ / "workers.db").string(), Durability::kNormal, Access::kReadWrite};
};

TEST_F(WorkerTouchTest, ACallWithinTheResolutionLeavesLastSeenAndLaterOnesMoveIt) {
  EXPECT_TRUE(TouchWorker(c_, "p1", "w1", At(100'400)));
  EXPECT_EQ(LastSeen(), At(100'000)) << "seen 0.4 s ago: not written again";
  EXPECT_TRUE(TouchWorker(c_, "p1", "w1", At(101'000)));
  EXPECT_EQ(LastSeen(), At(101'000));
  EXPECT_TRUE(TouchWorker(c_, "p1", "w1", At(100'500)));  // a late call
  EXPECT_EQ(LastSeen(), At(101'000)) << "never moved back";
  EXPECT_TRUE(TouchWorker(c_, "p1", "w1", At(160'000)));
  EXPECT_EQ(LastSeen(), At(160'000));
}

TEST_F(WorkerTouchTest, AWorkerNeverRegisteredIsNotTouched) {
  EXPECT_FALSE(TouchWorker(c_, "p1", "unknown", At(200'000)));
  EXPECT_FALSE(TouchWorker(c_, "p2", "w1", At(200'000)));
  EXPECT_EQ(ListWorkers(c_, "p1").size(), 1u);
}

TEST_F(WorkerTouchTest, TouchOrRegisterRegistersAnUnknownWorkerAndOnlyTouchesAKnownOne) {
  SqliteWorkerStore workers(c_);
  workers.TouchOrRegister({"p1", "w2", {"a"}, {"email"}, At(100'000), At(100'000), 0});
  workers.TouchOrRegister({"p1", "w1", {"b"}, {}, At(102'000), At(102'000), 0});
  std::vector<WorkerRecord> listed = ListWorkers(c_, "p1");  // last seen first
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].worker_id, "w1");
  EXPECT_EQ(listed[0].queues, std::vector<std::string>{"default"}) << "a known worker keeps them";
  EXPECT_EQ(listed[0].last_seen_at, At(102'000));
  EXPECT_EQ(listed[1].worker_id, "w2");
  EXPECT_EQ(listed[1].queues, std::vector<std::string>{"a"});
  EXPECT_EQ(listed[1].job_types, std::vector<std::string>{"email"});
}

}  // namespace
}  // namespace flare::daemon

// The PostgreSQL WorkerStore against a real database: what store/worker_store.h promises (the
// SQLite store's semantics), with held runs counted from the runs table.

#include "daemon/store/postgres/worker_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "daemon/store/pg/connection.h"
#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "daemon/store/postgres/run_store.h"
#include "tests/testutil/pg_database.h"

// A namespace of its own: the unity build compiles the tests of this directory together.
namespace flare::daemon::postgres::worker_store_test {
namespace {

const TimePoint kT0 = FromMillis(1'700'000'000'123);

TimePoint At(int64_t ms_after_t0) { return kT0 + std::chrono::milliseconds(ms_after_t0); }

std::vector<std::string> WorkerIds(const std::vector<WorkerRecord>& workers) {
  std::vector<std::string> ids;
  for (const WorkerRecord& worker : workers) ids.push_back(worker.worker_id);
  return ids;
}

class PgWorkerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { pg::Migrate(db_, pg::FlareSchema()); }

  void Register(const std::string& project_id, const std::string& worker_id, TimePoint seen) {
    workers_.Upsert({project_id, worker_id, {"default"}, {}, seen, seen, 0});
  }
  /// A run of `worker_id` in `state` (processing: it holds the run).
  void AddRun(const std::string& id, const std::string& project_id, const std::string& worker_id,
              RunState state = RunState::kProcessing, bool is_http = false) {
    RunRecord run;
    run.id = id;
    run.project_id = project_id;
    run.job_id = "j1";
    run.queue = "default";
    run.job_type = "email";
    run.state = state;
    run.is_http = is_http;
    run.worker_id = worker_id;
    run.created_at = kT0;
    runs_.Insert(run);
  }

  pg::testing::TestDatabase database_;
  pg::Connection db_{database_.uri()};
  PgWorkerStore workers_{Session{db_, nullptr}};
  PgRunStore runs_{Session{db_, nullptr}};
};

TEST_F(PgWorkerStoreTest, UpsertRegistersThenUpdatesQueuesTypesAndLastSeen) {
  workers_.Upsert({"p1", "w1", {"a", "b"}, {"email"}, At(0), At(0), 0});
  workers_.Upsert({"p1", "w1", {"c"}, {}, At(50), At(60), 0});

  std::vector<WorkerRecord> listed = workers_.List("p1");
  ASSERT_EQ(listed.size(), 1u);
  const WorkerRecord& w = listed[0];
  EXPECT_EQ(w.project_id, "p1");
  EXPECT_EQ(w.worker_id, "w1");
  EXPECT_EQ(w.queues, std::vector<std::string>{"c"});
  EXPECT_TRUE(w.job_types.empty());
  EXPECT_EQ(w.registered_at, At(0)) << "a worker keeps its first registration time";
  EXPECT_EQ(w.last_seen_at, At(60));
  EXPECT_EQ(w.runs_held, 0);
}

TEST_F(PgWorkerStoreTest, TouchMovesLastSeenForwardToTheResolutionAndNeedsARegisteredWorker) {
  Register("p1", "w1", At(100));
  auto last_seen = [&] { return workers_.List("p1").at(0).last_seen_at; };
  workers_.Touch("p1", "w1", At(500));
  EXPECT_EQ(last_seen(), At(100)) << "seen 0.4 s ago: not written again";
  workers_.Touch("p1", "w1", At(1'100));
  EXPECT_EQ(last_seen(), At(1'100));
  workers_.Touch("p1", "w1", At(600));  // a late heartbeat
  EXPECT_EQ(last_seen(), At(1'100)) << "never moved back";
  workers_.Touch("p1", "unknown", At(9'000));
  workers_.Touch("p2", "w1", At(9'000));
  EXPECT_EQ(WorkerIds(workers_.List("p1")), std::vector<std::string>{"w1"});
  EXPECT_TRUE(workers_.List("p2").empty());
}

TEST_F(PgWorkerStoreTest, TouchOrRegisterRegistersAnUnknownWorkerAndOnlyTouchesAKnownOne) {
  workers_.TouchOrRegister({"p1", "w1", {"a"}, {"email"}, At(0), At(0), 0});
  workers_.TouchOrRegister({"p1", "w1", {"b"}, {}, At(400), At(400), 0});
  std::vector<WorkerRecord> listed = workers_.List("p1");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].queues, std::vector<std::string>{"a"}) << "a known worker keeps its queues";
  EXPECT_EQ(listed[0].job_types, std::vector<std::string>{"email"});
  EXPECT_EQ(listed[0].last_seen_at, At(0)) << "seen 0.4 s ago: not written again";
  workers_.TouchOrRegister({"p1", "w1", {"b"}, {}, At(2'000), At(2'000), 0});
  EXPECT_EQ(workers_.List("p1").at(0).last_seen_at, At(2'000));
  EXPECT_EQ(workers_.List("p1").at(0).registered_at, At(0));
}

// A poll's and an ack's transaction mark their worker seen without a round trip of its own:
// the statements wait to go with the transaction's next one.
TEST_F(PgWorkerStoreTest, InAWriteTransactionTouchesAreSentWithTheNextStatement) {
  Register("p1", "w1", At(0));
  CounterDeltas counters;
  PgWorkerStore writing{Session{db_, &counters}};
  db_.Exec("BEGIN");
  writing.Touch("p1", "w1", At(5'000));
  writing.TouchOrRegister({"p1", "w2", {"default"}, {}, At(5'000), At(5'000), 0});
  EXPECT_TRUE(db_.HasDeferred());
  db_.Exec("COMMIT");
  EXPECT_FALSE(db_.HasDeferred());
  EXPECT_EQ(WorkerIds(workers_.List("p1")), (std::vector<std::string>{"w1", "w2"}));
  EXPECT_EQ(workers_.List("p1").at(0).last_seen_at, At(5'000));
}

TEST_F(PgWorkerStoreTest, ListShowsTheProjectsWorkersLastSeenFirstWithTheRunsTheyHold) {
  Register("p1", "old", At(0));
  Register("p1", "recent", At(10));
  Register("p2", "elsewhere", At(20));
  AddRun("r1", "p1", "old");
  AddRun("r2", "p1", "old", RunState::kProcessing, /*is_http=*/true);
  AddRun("r3", "p1", "old", RunState::kSucceeded);
  AddRun("r4", "p2", "old");  // another project's worker of the same name

  std::vector<WorkerRecord> listed = workers_.List("p1");
  EXPECT_EQ(WorkerIds(listed), (std::vector<std::string>{"recent", "old"}));
  EXPECT_EQ(listed[0].runs_held, 0);
  EXPECT_EQ(listed[1].runs_held, 2);
}

TEST_F(PgWorkerStoreTest, SilentHoldingRunsAreWorkersUnseenSinceTheCutoffThatHoldRuns) {
  Register("p1", "silent_busy", At(0));
  Register("p1", "silent_idle", At(0));
  Register("p1", "recent_busy", At(100));
  AddRun("r1", "p1", "silent_busy");
  AddRun("r2", "p1", "silent_idle", RunState::kSucceeded);
  AddRun("r3", "p1", "recent_busy");

  std::vector<WorkerRecord> silent = workers_.SilentHoldingRuns(At(100));
  EXPECT_EQ(WorkerIds(silent), std::vector<std::string>{"silent_busy"});
  ASSERT_EQ(silent.size(), 1u);
  EXPECT_EQ(silent[0].runs_held, 1);
}

TEST_F(PgWorkerStoreTest, OldestBusySeenIsTheEarliestSightingOfAWorkerHoldingWorkerRuns) {
  EXPECT_EQ(workers_.OldestBusySeen(), std::nullopt);
  Register("p1", "idle", At(0));
  Register("p1", "http_only", At(5));
  Register("p1", "busy", At(10));
  Register("p1", "busier", At(20));
  AddRun("r1", "p1", "http_only", RunState::kProcessing, /*is_http=*/true);
  AddRun("r2", "p1", "busy");
  AddRun("r3", "p1", "busier");
  AddRun("r4", "p1", "idle", RunState::kCancelled);
  EXPECT_EQ(workers_.OldestBusySeen(), At(10));
}

}  // namespace
}  // namespace flare::daemon::postgres::worker_store_test

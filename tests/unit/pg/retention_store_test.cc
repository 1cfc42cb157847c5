// The PostgreSQL RetentionStore (store/postgres/retention_store.h) against a real database:
// finished runs oldest first across states, chunked event deletes, and two nodes pruning at
// once never taking the same run.

#include "daemon/store/postgres/retention_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "daemon/store/pg/transaction.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::postgres::retention_store_test {
namespace {

const TimePoint kT0 = FromMillis(1'700'000'000'000);

TimePoint At(int64_t offset_ms) { return kT0 + std::chrono::milliseconds(offset_ms); }

std::vector<std::string> RunIds(const std::vector<FinishedRun>& runs) {
  std::vector<std::string> ids;
  for (const FinishedRun& run : runs) ids.push_back(run.run_id);
  return ids;
}

using V = std::vector<std::string>;

class PgRetentionStoreTest : public ::testing::Test {
 protected:
  PgRetentionStoreTest() : db_(database_.uri()) { pg::Migrate(db_, pg::FlareSchema()); }

  PgRetentionStore Writer(pg::Connection& db) { return PgRetentionStore(Session{db, &counters_}); }
  PgRetentionStore Reader() { return PgRetentionStore(Session{db_}); }

  void InsertRun(const std::string& id, const std::string& job_id, RunState state,
                 OptTime completed) {
    db_.Exec(
        "INSERT INTO runs (id, project_id, job_id, job_version, trigger, state, attempt, "
        "max_attempts, timeout_seconds, queue, job_type, priority, is_http, created_at, "
        "completed_at) VALUES ($1, 'proj_a', $2, 1, 'API', $3, 1, 3, 60, 'default', 't', 0, 0, "
        "0, $4)",
        id, job_id, ToString(state),
        completed ? std::optional<int64_t>(ToMillis(*completed)) : std::nullopt);
  }
  void InsertJob(const std::string& id) {
    db_.Exec(
        "INSERT INTO jobs (id, project_id, job_type, queue, payload, spec, is_http, enabled, "
        "version, state, attempt, max_attempts, created_at, updated_at) "
        "VALUES ($1, 'proj_a', 't', 'default', '{}', '{}', 0, 1, 1, 'succeeded', 0, 3, 0, 0)",
        id);
  }
  void InsertEvents(int count, const std::string& job_id, const std::string& run_id) {
    db_.Exec(
        "INSERT INTO events (id, project_id, job_id, run_id, type, at) SELECT 'evt_' || $2 || "
        "'_' || g, 'proj_a', $2, $3, 'run.created', 0 FROM generate_series(1, $1) g",
        count, job_id, run_id.empty() ? std::nullopt : std::optional<std::string>(run_id));
  }
  int64_t Count(const std::string& table) {
    return db_.Exec("SELECT count(*) FROM " + table).Int64(0, 0);
  }

  pg::testing::TestDatabase database_;
  pg::Connection db_;
  CounterDeltas counters_;
};

TEST_F(PgRetentionStoreTest, FinishedRunsBeforeMergesTheStatesOldestFirst) {
  InsertRun("run_s1", "job_1", RunState::kSucceeded, At(10));
  InsertRun("run_c1", "job_2", RunState::kCancelled, At(20));
  InsertRun("run_s2", "job_1", RunState::kSucceeded, At(30));
  InsertRun("run_d1", "job_3", RunState::kDeadLetter, At(5));
  InsertRun("run_new", "job_1", RunState::kSucceeded, At(100));
  InsertRun("run_pending", "job_4", RunState::kPending, std::nullopt);
  InsertRun("run_failed", "job_4", RunState::kFailed, At(1));
  PgRetentionStore retention = Reader();
  std::initializer_list<RunState> terminal = {RunState::kSucceeded, RunState::kDeadLetter,
                                              RunState::kCancelled};
  std::vector<FinishedRun> runs = retention.FinishedRunsBefore(terminal, At(100), 10);
  EXPECT_EQ(RunIds(runs), (V{"run_d1", "run_s1", "run_c1", "run_s2"})) << "cutoff is exclusive";
  EXPECT_EQ(runs[0].job_id, "job_3");
  EXPECT_EQ(RunIds(retention.FinishedRunsBefore(terminal, At(100), 2)), (V{"run_d1", "run_s1"}));
  EXPECT_EQ(RunIds(retention.FinishedRunsBefore({RunState::kCancelled}, At(100), 10)),
            (V{"run_c1"}));
}

TEST_F(PgRetentionStoreTest, TwoWritersPruningAtOnceTakeDisjointRuns) {
  for (int i = 0; i < 10; ++i) {
    InsertRun("run_" + std::to_string(i), "job_1",
              i % 2 ? RunState::kSucceeded : RunState::kCancelled, At(i));
  }
  pg::Connection first_db(database_.uri()), second_db(database_.uri());
  pg::Transaction first_tx(first_db), second_tx(second_db);
  std::initializer_list<RunState> states = {RunState::kSucceeded, RunState::kCancelled};
  V first = RunIds(Writer(first_db).FinishedRunsBefore(states, At(100), 5));
  V second = RunIds(Writer(second_db).FinishedRunsBefore(states, At(100), 5));
  EXPECT_EQ(first, (V{"run_0", "run_1", "run_2", "run_3", "run_4"}));
  // The second takes the next oldest: only the runs handed to the first are held.
  EXPECT_EQ(second, (V{"run_5", "run_6", "run_7", "run_8", "run_9"}));
}

TEST_F(PgRetentionStoreTest, EventDeletesTakeBoundedChunks) {
  InsertEvents(5, "job_1", "run_1");
  InsertEvents(3, "job_1", "");
  InsertEvents(2, "job_2", "run_2");
  PgRetentionStore retention = Writer(db_);
  EXPECT_EQ(retention.DeleteEventsOfRun("run_1", 3), 3);
  EXPECT_EQ(retention.DeleteEventsOfRun("run_1", 3), 2);
  EXPECT_EQ(retention.DeleteEventsOfRun("run_1", 3), 0);
  EXPECT_EQ(Count("events"), 5);
  EXPECT_EQ(retention.DeleteEventsOfJob("job_1", 2), 2);
  EXPECT_EQ(retention.DeleteEventsOfJob("job_1", 2), 1);
  EXPECT_EQ(retention.DeleteEventsOfJob("job_1", 2), 0);
  EXPECT_EQ(Count("events"), 2) << "job_2's events stay";
}

TEST_F(PgRetentionStoreTest, DeleteRunAndDeleteJobAndRunsRemoveOnlyTheirRows) {
  InsertJob("job_1");
  InsertJob("job_2");
  InsertRun("run_1a", "job_1", RunState::kSucceeded, At(1));
  InsertRun("run_1b", "job_1", RunState::kSucceeded, At(2));
  InsertRun("run_2a", "job_2", RunState::kSucceeded, At(3));
  InsertRun("run_2b", "job_2", RunState::kSucceeded, At(4));
  PgRetentionStore retention = Writer(db_);
  retention.DeleteRun("run_2a");
  EXPECT_EQ(Count("runs"), 3);
  retention.DeleteJobAndRuns("job_1");
  EXPECT_EQ(db_.Exec("SELECT string_agg(id, ',' ORDER BY id) FROM runs").Text(0, 0), "run_2b");
  EXPECT_EQ(db_.Exec("SELECT string_agg(id, ',' ORDER BY id) FROM jobs").Text(0, 0), "job_2");
}

TEST_F(PgRetentionStoreTest, OldestFinishedIsTheEarliestCompletionAmongTheStates) {
  PgRetentionStore retention = Reader();
  EXPECT_EQ(retention.OldestFinished({RunState::kSucceeded, RunState::kCancelled}), std::nullopt);
  InsertRun("run_s", "job_1", RunState::kSucceeded, At(30));
  InsertRun("run_c", "job_1", RunState::kCancelled, At(20));
  InsertRun("run_f", "job_1", RunState::kFailed, At(1));
  InsertRun("run_p", "job_1", RunState::kPending, std::nullopt);
  EXPECT_EQ(retention.OldestFinished({RunState::kSucceeded, RunState::kCancelled}), At(20));
  EXPECT_EQ(retention.OldestFinished({RunState::kSucceeded}), At(30));
  EXPECT_EQ(retention.OldestFinished({RunState::kPending}), std::nullopt);
}

}  // namespace
}  // namespace flare::daemon::postgres::retention_store_test

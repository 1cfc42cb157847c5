// The PostgreSQL NodeStore (store/postgres/node_store.h) against a real database: nodes
// register, are seen, stop, and are forgotten once no HTTP run they hold names them.

#include "daemon/store/postgres/node_store.h"

#include <gtest/gtest.h>

#include <string>

#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::postgres::node_store_test {
namespace {

const TimePoint kT0 = FromMillis(1'700'000'000'789);

TimePoint At(int64_t offset_ms) { return kT0 + std::chrono::milliseconds(offset_ms); }

class PgNodeStoreTest : public ::testing::Test {
 protected:
  PgNodeStoreTest() : db_(database_.uri()), nodes_(Session{db_, &counters_}) {
    pg::Migrate(db_, pg::FlareSchema());
  }

  void Register(const std::string& id, TimePoint started) {
    nodes_.Insert(
        NodeRecord{.id = id, .started_at = started, .last_seen_at = started, .stopped_at = {}});
  }

  /// The node's row as stored, or nullopt when there is none.
  std::optional<NodeRecord> Stored(const std::string& id) {
    pg::PgResult r =
        db_.Exec("SELECT started_at, last_seen_at, stopped_at FROM nodes WHERE id = $1", id);
    if (r.rows() == 0) return std::nullopt;
    return NodeRecord{.id = id,
                      .started_at = FromMillis(r.Int64(0, 0)),
                      .last_seen_at = FromMillis(r.Int64(0, 1)),
                      .stopped_at = r.IsNull(0, 2) ? OptTime() : FromMillis(r.Int64(0, 2))};
  }

  void InsertRun(const std::string& id, const std::string& state, bool is_http,
                 const std::string& node_id) {
    db_.Exec(
        "INSERT INTO runs (id, project_id, job_id, job_version, trigger, state, attempt, "
        "max_attempts, timeout_seconds, queue, job_type, priority, is_http, created_at, node_id) "
        "VALUES ($1, 'proj_a', 'job_1', 1, 'API', $2, 1, 3, 60, 'default', 't', 0, $3, 0, $4)",
        id, state, is_http ? 1 : 0, node_id);
  }

  pg::testing::TestDatabase database_;
  pg::Connection db_;
  CounterDeltas counters_;
  PgNodeStore nodes_;
};

TEST_F(PgNodeStoreTest, InsertRegistersAndReRegisteringRevivesKeepingTheFirstStart) {
  Register("node_a", At(0));
  std::optional<NodeRecord> node = Stored("node_a");
  ASSERT_TRUE(node);
  EXPECT_EQ(node->started_at, At(0));
  EXPECT_EQ(node->last_seen_at, At(0));
  EXPECT_EQ(node->stopped_at, std::nullopt);

  nodes_.Stop("node_a", At(5));
  Register("node_a", At(10));
  node = Stored("node_a");
  EXPECT_EQ(node->started_at, At(0));
  EXPECT_EQ(node->last_seen_at, At(10));
  EXPECT_EQ(node->stopped_at, std::nullopt);
}

TEST_F(PgNodeStoreTest, TouchMarksALiveNodeSeenAndRefusesUnknownOrStoppedOnes) {
  Register("node_a", At(0));
  Register("node_b", At(0));
  nodes_.Stop("node_b", At(1));
  EXPECT_TRUE(nodes_.Touch("node_a", At(7)));
  EXPECT_EQ(Stored("node_a")->last_seen_at, At(7));
  EXPECT_FALSE(nodes_.Touch("node_b", At(7)));
  EXPECT_EQ(Stored("node_b")->last_seen_at, At(0));
  EXPECT_FALSE(nodes_.Touch("node_none", At(7)));
}

TEST_F(PgNodeStoreTest, StopKeepsTheFirstStopTime) {
  Register("node_a", At(0));
  nodes_.Stop("node_a", At(3));
  nodes_.Stop("node_a", At(9));
  EXPECT_EQ(Stored("node_a")->stopped_at, At(3));
}

TEST_F(PgNodeStoreTest, StopOthersStopsEveryLiveNodeButSelf) {
  Register("node_self", At(0));
  Register("node_b", At(0));
  Register("node_c", At(0));
  Register("node_d", At(0));
  nodes_.Stop("node_d", At(1));
  EXPECT_EQ(nodes_.StopOthers("node_self", At(5)), 2);
  EXPECT_EQ(Stored("node_self")->stopped_at, std::nullopt);
  EXPECT_EQ(Stored("node_b")->stopped_at, At(5));
  EXPECT_EQ(Stored("node_c")->stopped_at, At(5));
  EXPECT_EQ(Stored("node_d")->stopped_at, At(1));
}

TEST_F(PgNodeStoreTest, DeleteStoppedIdleForgetsStoppedNodesNoProcessingHttpRunNames) {
  Register("node_live", At(0));
  Register("node_idle", At(0));
  Register("node_holding", At(0));
  Register("node_worker_run", At(0));
  Register("node_finished_run", At(0));
  for (const char* id : {"node_idle", "node_holding", "node_worker_run", "node_finished_run"})
    nodes_.Stop(id, At(1));
  InsertRun("run_1", "processing", /*is_http=*/true, "node_holding");
  InsertRun("run_2", "processing", /*is_http=*/false, "node_worker_run");
  InsertRun("run_3", "succeeded", /*is_http=*/true, "node_finished_run");
  EXPECT_EQ(nodes_.DeleteStoppedIdle(), 3);
  EXPECT_TRUE(Stored("node_live"));
  EXPECT_TRUE(Stored("node_holding"));
  EXPECT_FALSE(Stored("node_idle"));
  EXPECT_FALSE(Stored("node_worker_run"));
  EXPECT_FALSE(Stored("node_finished_run"));
}

}  // namespace
}  // namespace flare::daemon::postgres::node_store_test

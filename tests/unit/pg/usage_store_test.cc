// PgUsageStore against a real PostgreSQL. Counter rows are striped by slot (pg/schema.cc,
// migration 3), so the rows here are put in several slots and every read must sum them.

#include "daemon/store/postgres/usage_store.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "daemon/store/pg/connection.h"
#include "daemon/store/pg/migrations.h"
#include "daemon/store/pg/schema.h"
#include "tests/testutil/pg_database.h"

namespace flare::daemon::postgres::usage_store_test {
namespace {

class PgUsageStoreTest : public ::testing::Test {
 protected:
  PgUsageStoreTest() : db_(database_.uri()), store_(Session{db_, nullptr}) {
    pg::Migrate(db_, pg::FlareSchema());
  }

  void AddDay(const std::string& project, int64_t day, int slot, int64_t runs, int64_t succeeded,
              int64_t failed, int64_t deliveries) {
    db_.Exec(
        "INSERT INTO usage_daily (project_id, day, slot, runs, succeeded, failed, "
        "webhook_deliveries) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        project, day, slot, runs, succeeded, failed, deliveries);
  }
  // A minute row whose five counts are `n`, 2n, 3n, 4n, 5n.
  void AddMinute(const std::string& project, int64_t minute, int slot, int64_t n) {
    db_.Exec(
        "INSERT INTO run_stats_minute (project_id, minute, slot, created, succeeded, failed, "
        "retried, cancelled) SELECT $1, $2, $3, n, 2 * n, 3 * n, 4 * n, 5 * n "
        "FROM (SELECT $4::bigint AS n) counts",
        project, minute, slot, n);
  }
  void AddQueueCount(const std::string& project, const std::string& queue, RunState state, int slot,
                     int64_t current, int64_t entered) {
    db_.Exec(
        "INSERT INTO queue_counts (project_id, queue, state, slot, current, entered) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        project, queue, ToString(state), slot, current, entered);
  }
  // A finished-looking run of prj_1: ready at 1 s, started at 2 s, 700 ms long.
  void AddRun(const std::string& id, RunState state, std::optional<int64_t> completed_at,
              bool is_http = false, std::optional<std::string> trace = std::nullopt) {
    db_.Exec(
        "INSERT INTO runs (id, project_id, job_id, job_version, trigger, state, attempt, "
        "max_attempts, timeout_seconds, queue, job_type, priority, is_http, created_at, "
        "ready_at, started_at, completed_at, duration_ms, trace) VALUES ($1, 'prj_1', 'job_1', "
        "1, 'api', $2, 1, 3, 60, 'default', 'email', 0, $3, 500, 1000, 2000, $4, 700, $5)",
        id, ToString(state), is_http ? 1 : 0, completed_at, trace);
  }

  pg::testing::TestDatabase database_;
  pg::Connection db_;
  PgUsageStore store_;
};

TEST_F(PgUsageStoreTest, ReadDailySumsSlotsOfEachDayInTheInclusiveRange) {
  AddDay("prj_1", 9, 0, 100, 100, 100, 100);  // before the range
  AddDay("prj_1", 10, 0, 5, 3, 1, 2);
  AddDay("prj_1", 10, 7, 4, 2, 2, 1);
  AddDay("prj_1", 12, 15, 1, 1, 0, 0);
  AddDay("prj_1", 13, 0, 100, 100, 100, 100);  // after it
  AddDay("prj_2", 11, 0, 100, 100, 100, 100);  // another project
  std::vector<DailyUsage> days = store_.ReadDaily("prj_1", 10, 12);
  ASSERT_EQ(days.size(), 2u) << "only days with usage";
  EXPECT_EQ(days[0].day, 10);
  EXPECT_EQ(days[0].runs, 9);
  EXPECT_EQ(days[0].succeeded, 5);
  EXPECT_EQ(days[0].failed, 3);
  EXPECT_EQ(days[0].webhook_deliveries, 3);
  EXPECT_EQ(days[1].day, 12);
  EXPECT_EQ(days[1].runs, 1);
  EXPECT_TRUE(store_.ReadDaily("prj_1", 20, 30).empty());
}

TEST_F(PgUsageStoreTest, ReadRunStatsSumsSlotsIntoBucketsAlignedToTheEpoch) {
  AddMinute("prj_1", 97, 0, 100);  // before first_minute
  AddMinute("prj_1", 98, 0, 1);
  AddMinute("prj_1", 99, 3, 1);
  AddMinute("prj_1", 100, 0, 2);
  AddMinute("prj_1", 100, 9, 3);
  AddMinute("prj_1", 104, 1, 1);
  AddMinute("prj_1", 110, 0, 7);
  AddMinute("prj_2", 100, 0, 100);
  std::vector<RunStatsBucket> buckets = store_.ReadRunStats("prj_1", 98, 5);
  ASSERT_EQ(buckets.size(), 3u) << "only buckets with rows";
  EXPECT_EQ(buckets[0].start_minute, 95);
  EXPECT_EQ(buckets[0].created, 2);
  EXPECT_EQ(buckets[1].start_minute, 100);
  EXPECT_EQ(buckets[1].created, 6);
  EXPECT_EQ(buckets[1].succeeded, 12);
  EXPECT_EQ(buckets[1].failed, 18);
  EXPECT_EQ(buckets[1].retried, 24);
  EXPECT_EQ(buckets[1].cancelled, 30);
  EXPECT_EQ(buckets[2].start_minute, 110);
  EXPECT_EQ(buckets[2].created, 7);
}

TEST_F(PgUsageStoreTest, SumRunStatsAddsEverySlotFromTheFirstMinuteOnAndIsZeroWhenEmpty) {
  RunStatsBucket empty = store_.SumRunStats("prj_1", 50);
  EXPECT_EQ(empty.start_minute, 50);
  EXPECT_EQ(empty.created + empty.succeeded + empty.failed + empty.retried + empty.cancelled, 0);
  AddMinute("prj_1", 49, 0, 100);
  AddMinute("prj_1", 50, 0, 1);
  AddMinute("prj_1", 50, 4, 2);
  AddMinute("prj_1", 60, 11, 4);
  AddMinute("prj_2", 60, 0, 100);
  RunStatsBucket sum = store_.SumRunStats("prj_1", 50);
  EXPECT_EQ(sum.start_minute, 50);
  EXPECT_EQ(sum.created, 7);
  EXPECT_EQ(sum.succeeded, 14);
  EXPECT_EQ(sum.failed, 21);
  EXPECT_EQ(sum.retried, 28);
  EXPECT_EQ(sum.cancelled, 35);
}

TEST_F(PgUsageStoreTest, ReadQueueCountsSumsSlotsPerQueueAndStateInOrder) {
  AddQueueCount("prj_1", "mail", RunState::kPending, 0, 3, 10);
  AddQueueCount("prj_1", "mail", RunState::kPending, 5, -1, 4);  // a slot may go negative
  AddQueueCount("prj_1", "mail", RunState::kProcessing, 2, 1, 6);
  AddQueueCount("prj_1", "default", RunState::kSucceeded, 1, 8, 8);
  AddQueueCount("prj_2", "mail", RunState::kPending, 0, 100, 100);
  std::vector<QueueCount> counts = store_.ReadQueueCounts("prj_1");
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0].queue, "default");
  EXPECT_EQ(counts[0].state, RunState::kSucceeded);
  EXPECT_EQ(counts[0].current, 8);
  EXPECT_EQ(counts[1].queue, "mail");
  EXPECT_EQ(counts[1].state, RunState::kPending);
  EXPECT_EQ(counts[1].current, 2);
  EXPECT_EQ(counts[1].entered, 14);
  EXPECT_EQ(counts[2].state, RunState::kProcessing);
  EXPECT_EQ(counts[2].entered, 6);
}

TEST_F(PgUsageStoreTest, ReadActiveJobsSumsSlotsAndIsZeroForAProjectWithoutRows) {
  EXPECT_EQ(store_.ReadActiveJobs("prj_1"), 0);
  db_.Exec(
      "INSERT INTO project_counts (project_id, slot, active_jobs) "
      "VALUES ('prj_1', 0, 4), ('prj_1', 6, -1), ('prj_1', 15, 2), ('prj_2', 0, 100)");
  EXPECT_EQ(store_.ReadActiveJobs("prj_1"), 5);
}

TEST_F(PgUsageStoreTest, AddWebhookDeliveryCountsOnItsDayInTheSessionsOwnSlot) {
  const int64_t day = 19'000;
  const int64_t own_slot = db_.Exec("SELECT flare_counter_slot()").Int64(0, 0);
  const int other_slot = static_cast<int>((own_slot + 1) % 16);
  AddDay("prj_1", day, other_slot, 4, 3, 1, 1);
  const TimePoint noon = FromMillis(day * kMsPerDay + kMsPerDay / 2);
  store_.AddWebhookDelivery("prj_1", noon);
  store_.AddWebhookDelivery("prj_1", FromMillis(day * kMsPerDay));  // the day's first ms
  store_.AddWebhookDelivery("prj_1", FromMillis((day + 1) * kMsPerDay));
  std::vector<DailyUsage> days = store_.ReadDaily("prj_1", day, day + 1);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].webhook_deliveries, 3);
  EXPECT_EQ(days[0].runs, 4) << "the run counts of the other slot are kept";
  EXPECT_EQ(days[1].webhook_deliveries, 1);
  pg::PgResult own = db_.Exec(
      "SELECT webhook_deliveries FROM usage_daily WHERE project_id = 'prj_1' AND day = $1 "
      "AND slot = $2",
      day, own_slot);
  ASSERT_EQ(own.rows(), 1);
  EXPECT_EQ(own.Int64(0, 0), 2);
}

TEST_F(PgUsageStoreTest, PruneRunStatsDropsOldMinutesOfEverySlot) {
  AddMinute("prj_1", 10, 0, 1);
  AddMinute("prj_1", 10, 3, 1);
  AddMinute("prj_2", 11, 8, 1);
  AddMinute("prj_1", 12, 0, 1);
  AddMinute("prj_1", 12, 5, 1);
  EXPECT_EQ(store_.PruneRunStats(12), 3);
  EXPECT_EQ(db_.Exec("SELECT count(*) FROM run_stats_minute WHERE minute < 12").Int64(0, 0), 0);
  EXPECT_EQ(store_.SumRunStats("prj_1", 0).created, 2);
}

TEST_F(PgUsageStoreTest, ForEachFinishedRunVisitsRunsThatEndedAnAttemptSinceTheTime) {
  AddRun("run_ok", RunState::kSucceeded, 5000);
  AddRun("run_dead", RunState::kDeadLetter, 5000);
  AddRun("run_failed", RunState::kFailed, 4000);  // exactly `since`
  AddRun("run_old", RunState::kSucceeded, 3999);
  AddRun("run_cancelled", RunState::kCancelled, 5000);
  AddRun("run_running", RunState::kProcessing, std::nullopt);
  AddRun("run_http", RunState::kSucceeded, 6000, true, R"({"total_ms": 42, "ttfb_ms": 7})");
  AddRun("run_http_untraced", RunState::kSucceeded, 6000, true);
  AddRun("run_worker_traced", RunState::kSucceeded, 6000, false, R"({"total_ms": 42})");
  std::map<int64_t, int> by_completion;
  std::vector<FinishedRunTimes> http;
  store_.ForEachFinishedRun(FromMillis(4000), [&](const FinishedRunTimes& run) {
    EXPECT_EQ(run.project_id, "prj_1");
    EXPECT_EQ(run.ready_at, FromMillis(1000));
    EXPECT_EQ(run.started_at, FromMillis(2000));
    EXPECT_EQ(run.duration_ms, 700);
    ASSERT_TRUE(run.completed_at);
    ++by_completion[ToMillis(*run.completed_at)];
    if (run.http_total_ms) http.push_back(run);
  });
  EXPECT_EQ(by_completion, (std::map<int64_t, int>{{4000, 1}, {5000, 2}, {6000, 3}}));
  ASSERT_EQ(http.size(), 1u) << "only an HTTP run's trace is a target latency";
  EXPECT_EQ(http[0].http_total_ms, 42);
}

TEST_F(PgUsageStoreTest, ForEachFinishedRunVisitsEachRunOnceAcrossPages) {
  // More runs than one page holds.
  db_.Exec(
      "INSERT INTO runs (id, project_id, job_id, job_version, trigger, state, attempt, "
      "max_attempts, timeout_seconds, queue, job_type, priority, is_http, created_at, "
      "completed_at, duration_ms) SELECT 'run_' || g, 'prj_1', 'job_1', 1, 'api', 'succeeded', "
      "1, 1, 60, 'default', 'email', 0, 0, 1000, 5000, g FROM generate_series(1, 12001) g");
  std::vector<int> visits(12'002, 0);
  store_.ForEachFinishedRun(FromMillis(0), [&](const FinishedRunTimes& run) {
    ASSERT_TRUE(run.duration_ms);
    ++visits.at(static_cast<size_t>(*run.duration_ms));
  });
  for (int n = 1; n <= 12'001; ++n) ASSERT_EQ(visits[static_cast<size_t>(n)], 1) << "run_" << n;
}

}  // namespace
}  // namespace flare::daemon::postgres::usage_store_test

// Retention with a fake clock: old terminal runs go; one-off jobs go with them; recurring
// jobs stay.

#include <sqlite3.h>

#include <atomic>

#include "daemon/service/retention_service.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

using namespace std::chrono_literals;

class RetentionTest : public ServiceTest {
 protected:
  RetentionService retention_{
      context_, RetentionPolicy{std::chrono::hours(24 * 7), std::chrono::hours(24 * 90)}};

  void Succeed(const nlohmann::json& claimed) {
    nlohmann::json ack = {{"job_id", claimed["id"]}, {"worker_id", "w1"}, {"status", "succeeded"}};
    ASSERT_TRUE(workers_.Ack(kProject, ack).ok());
  }

  // A recurring job with one succeeded run, eight days old (past the 7-day limit).
  std::string RecurringJobWithAnExpiredRun() {
    auto job = MustCreate(
        {{"job_type", "t"}, {"payload", nlohmann::json::object()}, {"schedule", "@every 1h"}});
    Advance(std::chrono::hours(1));
    EXPECT_EQ(Tick().fired, 1);
    Succeed(Claim()[0]);
    Advance(std::chrono::hours(24 * 8));
    return job["id"];
  }

  // `sql` run `count` times with :n = 0..count-1, in one transaction.
  void Fill(const std::string& sql, int count) {
    ASSERT_TRUE(writer_
                    .Run<Ok>([&](Tx& tx) -> Status {
                      SQLite::Statement st(tx.conn().db(), sql);
                      for (int n = 0; n < count; ++n) {
                        st.reset();
                        st.bind(":n", n);
                        st.exec();
                      }
                      return Ok{};
                    })
                    .ok());
  }

  int64_t Count(const std::string& sql) {
    return writer_
        .Run<int64_t>(
            [&](Tx& tx) -> Result<int64_t> { return tx.conn().db().execAndGet(sql).getInt64(); })
        .value();
  }

  // SQLite virtual-machine steps (in hundreds) one prune slice takes: proportional to the
  // rows it visits, whatever the machine's speed.
  int64_t PruneSteps(RetentionOutcome& outcome) {
    static std::atomic<int64_t> ticks{0};
    ticks = 0;
    auto count = [](void*) -> int {
      ++ticks;
      return 0;
    };
    EXPECT_TRUE(writer_
                    .Run<Ok>([&](Tx& tx) -> Status {
                      sqlite3_progress_handler(tx.conn().db().getHandle(), 100, count, nullptr);
                      return Ok{};
                    })
                    .ok());
    outcome = retention_.PruneSlice().value();
    EXPECT_TRUE(writer_
                    .Run<Ok>([&](Tx& tx) -> Status {
                      sqlite3_progress_handler(tx.conn().db().getHandle(), 0, nullptr, nullptr);
                      return Ok{};
                    })
                    .ok());
    return ticks.load();
  }
};

TEST_F(RetentionTest, SucceededOneOffJobIsDeletedAfterSevenDays) {
  auto job = MustCreate({{"job_type", "t"}, {"payload", nlohmann::json::object()}});
  Succeed(Claim()[0]);
  auto early = retention_.PruneSlice().value();
  EXPECT_EQ(early.runs_deleted, 0);
  ASSERT_TRUE(early.next_due.has_value());
  EXPECT_EQ(FormatTime(*early.next_due), "2026-03-15T06:00:00.000Z");
  Advance(std::chrono::hours(24 * 7) + 1ms);
  auto pruned = retention_.PruneSlice().value();
  EXPECT_EQ(pruned.runs_deleted, 1);
  EXPECT_EQ(pruned.jobs_deleted, 1);
  EXPECT_FALSE(jobs_.Get(kProject, job["id"]).ok());
}

TEST_F(RetentionTest, DeadLetteredJobsAreKeptNinetyDays) {
  auto job =
      MustCreate({{"job_type", "t"}, {"payload", nlohmann::json::object()}, {"max_attempts", 1}});
  auto claimed = Claim()[0];
  ASSERT_TRUE(
      workers_.Ack(kProject, {{"job_id", claimed["id"]}, {"worker_id", "w1"}, {"status", "failed"}})
          .ok());
  Advance(std::chrono::hours(24 * 30));
  EXPECT_EQ(retention_.PruneSlice().value().runs_deleted, 0);
  EXPECT_TRUE(jobs_.Get(kProject, job["id"]).ok());
  Advance(std::chrono::hours(24 * 61));
  EXPECT_EQ(retention_.PruneSlice().value().jobs_deleted, 1);
}

TEST_F(RetentionTest, RecurringJobKeepsLivingWhenItsOldRunsGo) {
  auto job = MustCreate(
      {{"job_type", "t"}, {"payload", nlohmann::json::object()}, {"schedule", "@every 1h"}});
  Advance(1h);
  ASSERT_EQ(Tick().fired, 1);
  Succeed(Claim()[0]);
  Advance(std::chrono::hours(24 * 8));
  auto pruned = retention_.PruneSlice().value();
  EXPECT_EQ(pruned.runs_deleted, 1);
  EXPECT_EQ(pruned.jobs_deleted, 0);
  EXPECT_TRUE(jobs_.Get(kProject, job["id"]).ok());
}

// With 20,000 recent runs and 20,000 events of another job in the tables, pruning one
// expired run must find it and its events through indexes, not by reading every row.
TEST_F(RetentionTest, PruningAnExpiredRunVisitsOnlyItsOwnRows) {
  RecurringJobWithAnExpiredRun();
  constexpr int kOther = 20'000;
  const int64_t recent = ToMillis(clock_.Now()) - 1000;
  Fill(
      "INSERT INTO runs (id, project_id, job_id, job_version, trigger, state, attempt, "
      "max_attempts, timeout_seconds, queue, job_type, priority, is_http, created_at, "
      "completed_at) VALUES ('run_other' || :n, 'prj_test', 'job_other', 1, 'API', "
      "'succeeded', 1, 1, 60, 'default', 't', 0, 0, " +
          std::to_string(recent) + ", " + std::to_string(recent) + ")",
      kOther);
  Fill(
      "INSERT INTO events (id, project_id, job_id, run_id, type, at) VALUES ('evt_other' || "
      ":n, 'prj_test', 'job_other', 'run_other' || :n, 'succeeded', 0)",
      kOther);
  RetentionOutcome outcome;
  int64_t hundreds = PruneSteps(outcome);
  EXPECT_EQ(outcome.runs_deleted, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE job_id = 'job_other'"), kOther);
  EXPECT_LT(hundreds * 100, kOther)
      << "the slice took about " << hundreds * 100 << " SQLite steps: it scanned a table";
}

TEST_F(RetentionTest, ARunWithThousandsOfEventsIsPrunedCompletelyOverSlices) {
  auto job_id = RecurringJobWithAnExpiredRun();
  std::string run_id = Job(job_id)["last_run_id"];
  Fill(
      "INSERT INTO events (id, project_id, job_id, run_id, type, at) VALUES ('evt_p' || :n, "
      "'prj_test', '" +
          job_id + "', '" + run_id + "', 'progress', 0)",
      2'345);
  int runs_deleted = 0;
  for (int slice = 0; slice < 100; ++slice) {
    auto outcome = retention_.PruneSlice().value();
    runs_deleted += outcome.runs_deleted;
    if (!outcome.more) break;
  }
  EXPECT_EQ(runs_deleted, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE run_id = '" + run_id + "'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE id = '" + run_id + "'"), 0);
  EXPECT_TRUE(jobs_.Get(kProject, job_id).ok());
}

}  // namespace
}  // namespace flare::daemon

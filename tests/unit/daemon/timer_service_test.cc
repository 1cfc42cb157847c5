// The timer's rules (run_at, retries, leases, silent workers) with a fake clock.

#include <sqlite3.h>

#include <algorithm>

#include "daemon/store/run_repository.h"
#include "daemon/store/usage_repository.h"
#include "daemon/store/worker_repository.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

using namespace std::chrono_literals;

TEST_F(ServiceTest, FutureRunAtWaitsScheduledThenBecomesPendingOnTime) {
  auto job = MustCreate({{"job_type", "t"},
                         {"payload", nlohmann::json::object()},
                         {"run_at", "2026-03-08T06:00:10Z"}});
  EXPECT_EQ(job["state"], "scheduled");
  EXPECT_EQ(job["next_run_at"], "2026-03-08T06:00:10.000Z");
  ASSERT_FALSE(notifier_.wakes.empty());
  EXPECT_EQ(FormatTime(notifier_.wakes.back()), "2026-03-08T06:00:10.000Z");
  EXPECT_EQ(ReadActiveJobs(*readers_.Borrow(), kProject), 1);
  Advance(9'999ms);
  EXPECT_EQ(Tick().made_ready, 0);
  EXPECT_EQ(Job(job["id"])["state"], "scheduled");
  Advance(1ms);
  EXPECT_EQ(Tick().made_ready, 1);
  auto now = Job(job["id"]);
  EXPECT_EQ(now["state"], "pending");
  EXPECT_TRUE(now["next_run_at"].is_null());
  // Its one fire turns the job off (SPEC §4), counted as such, and leaves the rest as made.
  EXPECT_EQ(now["enabled"], false);
  EXPECT_EQ(ReadActiveJobs(*readers_.Borrow(), kProject), 0);
  for (const char* kept : {"payload", "job_type", "run_at", "max_attempts", "timeout_seconds"})
    EXPECT_EQ(now[kept], job[kept]) << kept;
}

TEST_F(ServiceTest, ExpiredLeaseFailsWithTimeoutAndRetriesAfterTheDelay) {
  auto job = MustCreate(
      {{"job_type", "t"},
       {"payload", nlohmann::json::object()},
       {"timeout_seconds", 5},
       {"retry", {{"strategy", "fixed"}, {"initial_delay_seconds", 7}, {"jitter", false}}}});
  auto claimed = Claim();
  ASSERT_EQ(claimed.size(), 1u);
  Advance(4'999ms);
  EXPECT_EQ(Tick().timed_out, 0);
  Advance(1ms);
  auto outcome = Tick();
  EXPECT_EQ(outcome.timed_out, 1);
  auto failed = Job(job["id"]);
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_EQ(failed["next_retry_at"], "2026-03-08T06:00:12.000Z");
  EXPECT_EQ(FormatTime(*outcome.next_due), "2026-03-08T06:00:12.000Z");
  Advance(7s);
  EXPECT_EQ(Tick().made_ready, 1);
  auto again = Claim();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["attempt"], 2);
  EXPECT_NE(again[0]["lease_id"], claimed[0]["lease_id"]);
}

TEST_F(ServiceTest, SilentWorkerLosesItsRunsAfterThreeHeartbeatIntervals) {
  auto job = MustCreate({{"job_type", "t"}, {"payload", nlohmann::json::object()}});
  ASSERT_EQ(Claim().size(), 1u);
  Advance(60s);
  ASSERT_TRUE(workers_.Heartbeat(kProject, {{"worker_id", "w1"}}).ok());
  Advance(89s);
  EXPECT_EQ(Tick().lost, 0);
  Advance(2s);
  EXPECT_EQ(Tick().lost, 1);
  auto lost = Job(job["id"]);
  EXPECT_EQ(lost["state"], "failed");
  auto runs = RunsOf(job["id"]);
  EXPECT_EQ(runs[0]["failure_reason"], "WORKER_LOST");
}

TEST_F(ServiceTest, AClaimAsksTheTimerToLookOnceItsWorkerCouldBeSilent) {
  // Nothing else is due: without this wake, a worker that died right after its claim would
  // keep the run until its 30-minute lease ended.
  MustCreate({{"job_type", "t"}, {"payload", nlohmann::json::object()}});
  notifier_.wakes.clear();
  ASSERT_EQ(Claim().size(), 1u);
  ASSERT_FALSE(notifier_.wakes.empty());
  TimePoint earliest = *std::min_element(notifier_.wakes.begin(), notifier_.wakes.end());
  EXPECT_EQ(earliest, clock_.Now() + 90s + 1ms);
  Advance(90s + 1ms);
  auto outcome = Tick();
  EXPECT_EQ(outcome.lost, 1);
}

TEST_F(ServiceTest, ExhaustedAttemptsDeadLetterAndCancelWaitingChildren) {
  auto parent = MustCreate({{"job_type", "t"},
                            {"payload", nlohmann::json::object()},
                            {"max_attempts", 1},
                            {"timeout_seconds", 1}});
  auto child = MustCreate(
      {{"job_type", "t"}, {"payload", nlohmann::json::object()}, {"parent_job_id", parent["id"]}});
  EXPECT_EQ(child["state"], "scheduled");
  ASSERT_EQ(Claim().size(), 1u);
  Advance(1s);
  EXPECT_EQ(Tick().timed_out, 1);
  EXPECT_EQ(Job(parent["id"])["state"], "dead_letter");
  EXPECT_EQ(Job(child["id"])["state"], "cancelled");
}

TEST_F(ServiceTest, NothingDueMeansNoWakeTime) {
  auto outcome = Tick();
  EXPECT_FALSE(outcome.next_due.has_value());
}

}  // namespace
}  // namespace flare::daemon

namespace flare::daemon {
namespace {

// The timer pass runs on the writer whenever something is due, so what it reads must not
// grow with the store: counted in SQLite VM instructions (a progress handler), not in time.
TEST_F(ServiceTest, TheSilentWorkerChecksReadTheClaimsNotEveryRunOfTheProject) {
  nlohmann::json items = nlohmann::json::array();
  for (int i = 0; i < 1000; ++i)
    items.push_back(
        {{"job_type", "t"}, {"queue", "stored"}, {"payload", nlohmann::json::object()}});
  for (int batch = 0; batch < 5; ++batch)
    ASSERT_TRUE(jobs_.CreateBatch(kProject, {{"jobs", items}}).ok());
  MustCreate({{"job_type", "t"}, {"payload", nlohmann::json::object()}});
  ASSERT_EQ(Claim().size(), 1u);

  auto reader = readers_.Borrow();
  sqlite3* db = (*reader).db().getHandle();
  long ticks = 0;  // one per 100 VM instructions
  sqlite3_progress_handler(
      db, 100, [](void* count) { return ++*static_cast<long*>(count), 0; }, &ticks);
  OptTime seen = OldestBusyWorkerSeen(*reader);
  EXPECT_TRUE(seen.has_value()) << "w1 holds a claim";
  EXPECT_LT(ticks * 100, 2000) << "VM instructions for one claim among 5,001 runs";
  // And the runs a silent worker loses.
  ticks = 0;
  EXPECT_EQ(RunsHeldBy(*reader, kProject, "w1").size(), 1u);
  EXPECT_LT(ticks * 100, 2000) << "VM instructions to find w1's one claim";
  sqlite3_progress_handler(db, 0, nullptr, nullptr);
}

}  // namespace
}  // namespace flare::daemon

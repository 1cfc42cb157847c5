// flared restarts (SPEC §8): an HTTP run in flight when flared is killed fails with
// WORKER_LOST and is retried; fires missed while flared was down follow misfire_policy.

#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <thread>

#include "tests/integration/runs_helpers.h"
#include "tests/testutil/test_http_server.h"

namespace flare::testing::runs_itest {
namespace {

TEST(Restart, AnHttpRunInFlightFailsWithWorkerLostAndIsRetried) {
  TestHttpServer sink;
  FlaredProcess flared({"--allow-private-targets"});
  json retry = {{"strategy", "fixed"}, {"initial_delay_seconds", 1}, {"jitter", false}};
  json job = CreateJob(flared, HttpJobBody(sink.Url("/delay/2500"), GetMethod(),
                                           {{"max_attempts", 3}, {"retry", retry}}));
  std::string job_id = job.value("id", "");
  std::string run_id = WaitForFirstRun(flared, job_id);
  ASSERT_TRUE(sink.WaitForRequests(1, seconds(5)));
  ASSERT_EQ(GetRun(flared, run_id)["state"], "processing");

  flared.Kill9();
  flared.Restart();
  // The retry hits the same route, which answers 200 after 2.5 s.
  json run = WaitForRunDone(flared, run_id, seconds(10));
  EXPECT_EQ(run.value("state", ""), "succeeded") << run.dump();
  EXPECT_EQ(run["attempt"], 2);
  EXPECT_EQ(sink.requests(), 2);
  bool lost = false;
  for (const auto& event : EventsOfJob(flared, job_id)) {
    if (event.value("type", "") == "attempt_failed") {
      lost = true;
      EXPECT_EQ(event["details"]["failure_reason"], "WORKER_LOST") << event.dump();
      EXPECT_EQ(event["attempt"], 1);
    }
  }
  EXPECT_TRUE(lost) << "no attempt_failed event for the run cut off by kill -9";
  EXPECT_GE(CountEvents(flared, job_id, "retry_scheduled"), 1);
}

// flared counts a fire as missed once it is more than kMisfireGrace (10 s) late, so the
// daemon is down for 12 s: one wait, shared by the three policies.
TEST(Restart, MissedFiresFollowTheMisfirePolicy) {
  TestHttpServer sink;
  FlaredProcess flared({"--allow-private-targets"});
  std::map<std::string, std::string> jobs;  // policy -> job id
  for (const char* policy : {"run_once", "skip", "run_all"}) {
    json job =
        CreateJob(flared, HttpJobBody(sink.Url("/status/200"), GetMethod(),
                                      {{"schedule", "@every 1s"}, {"misfire_policy", policy}}));
    jobs[policy] = job.value("id", "");
  }
  for (const auto& [policy, id] : jobs)
    ASSERT_FALSE(WaitForFirstRun(flared, id, seconds(3)).empty()) << policy;

  flared.Kill9();
  int64_t killed_at = NowMillis();
  std::this_thread::sleep_for(seconds(12));  // the downtime itself is what is under test
  int64_t restart_began = NowMillis();
  flared.Restart();
  int64_t up_at = NowMillis();

  // Wait (bounded) until every job has an on-time fire after the restart.
  std::map<std::string, std::vector<json>> runs;
  WaitFor(
      [&] {
        for (const auto& [policy, id] : jobs) {
          runs[policy] = RunsOfJob(flared, id);
          bool fresh = false;
          for (const auto& run : runs[policy]) fresh |= Millis(run["scheduled_for"]) > up_at + 1000;
          if (!fresh) return false;
        }
        return true;
      },
      seconds(5));
  for (const auto& [policy, id] : jobs) {
    ASSERT_EQ(flared.Call("PATCH", "/flare/v1/jobs/" + id, {{"enabled", false}}).status, 200);
  }

  // flared counts as missed the fires due before its own start, which lies somewhere between
  // restart_began and up_at (a start under a sanitizer on PostgreSQL takes seconds). A run
  // due before restart_began is a catch-up run for sure; one due in between may be either
  // (the last missed fire, or an on-time fire of a flared already up).
  std::map<std::string, int> catch_up, before_restart, long_before_restart;
  for (const auto& [policy, list] : runs) {
    int missed = 0, on_time = 0;
    for (const auto& run : list) {
      int64_t due = Millis(run["scheduled_for"]);
      if (due > killed_at && due <= up_at) ++missed;
      if (due > killed_at && due <= restart_began) ++before_restart[policy];
      if (due > killed_at && due <= restart_began - 1000) ++long_before_restart[policy];
      if (due > up_at) {
        ++on_time;
        EXPECT_LT(Millis(run["created_at"]) - due, 500)
            << policy << ": a fire after the restart was late";
      }
    }
    catch_up[policy] = missed;
    std::cout << "[ misfire ] " << policy << ": " << missed << " catch-up runs, " << on_time
              << " on-time runs after the restart\n";
    EXPECT_GE(on_time, 1) << policy << ": no on-time fire after the restart";
  }
  // run_once runs the last missed fire only: at most 1 s before flared started.
  EXPECT_GE(catch_up["run_once"], 1) << "run_once makes one catch-up run";
  EXPECT_LE(before_restart["run_once"], 1) << "run_once makes exactly one catch-up run";
  EXPECT_EQ(long_before_restart["run_once"], 0) << "run_once ran an earlier missed fire";
  EXPECT_EQ(before_restart["skip"], 0) << "skip makes no catch-up run";
  EXPECT_GE(catch_up["run_all"], 10) << "run_all runs every missed fire";
  EXPECT_LE(catch_up["run_all"], (up_at - killed_at) / 1000 + 1)
      << "run_all runs every missed fire";
  EXPECT_GE(CountEvents(flared, jobs["skip"], "skipped"), 1) << "skip leaves a skipped event";
}

}  // namespace
}  // namespace flare::testing::runs_itest

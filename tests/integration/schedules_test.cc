// Schedules against a real flared (SPEC §4): @every fires on its phase and on time, cron
// next_run_at in a time zone, validation, pause/resume, PATCH of the schedule, forbid, and
// one-off instants.

#include <date/tz.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "tests/integration/runs_helpers.h"
#include "tests/testutil/test_http_server.h"

namespace flare::testing::runs_itest {
namespace {

class Schedules : public ::testing::Test {
 protected:
  FlaredProcess& flared() { return flared_; }

  // Stops a recurring job from firing after the test (DELETE); records a failure otherwise.
  void Delete(const std::string& job_id) {
    EXPECT_EQ(flared().Call("DELETE", "/flare/v1/jobs/" + job_id).status, 200);
  }

  // The sink outlives flared: flared's kept-alive connections to it close with flared, so
  // the sink's threads need not sit out their keep-alive timeout when it stops.
  TestHttpServer sink_;
  FlaredProcess flared_{{"--allow-private-targets"}};
};

std::vector<json> ScheduleRuns(const FlaredProcess& flared, const std::string& job_id) {
  std::vector<json> runs;
  for (const auto& run : RunsOfJob(flared, job_id)) {
    if (run.value("trigger", "") == "SCHEDULE") runs.push_back(run);
  }
  std::sort(runs.begin(), runs.end(), [](const json& a, const json& b) {
    return Millis(a["scheduled_for"]) < Millis(b["scheduled_for"]);
  });
  return runs;
}

// The next 03:00 in `zone` strictly after `now`, computed with the date library directly.
int64_t NextLocalThreeAm(const std::string& zone, int64_t now_ms) {
  const date::time_zone* tz = date::locate_zone(zone);
  auto now = date::sys_time<std::chrono::milliseconds>(milliseconds(now_ms));
  auto local = tz->to_local(now);
  auto day = date::floor<date::days>(local);
  for (int i = 0; i < 3; ++i) {
    auto candidate =
        tz->to_sys(day + date::days(i) + std::chrono::hours(3), date::choose::earliest);
    if (candidate > now) {
      return std::chrono::duration_cast<milliseconds>(candidate.time_since_epoch()).count();
    }
  }
  return 0;
}

// SPEC §4: "A fire must start within 50 ms of its due time on an idle daemon". This test
// has a flared of its own so nothing else is going on.
TEST(SchedulesIdle, EverySecondFiresOnItsPhaseAndOnTime) {
  TestHttpServer sink;
  FlaredProcess flared({"--allow-private-targets"});
  json job = CreateJob(
      flared, HttpJobBody(sink.Url("/status/200"), GetMethod(), {{"schedule", "@every 1s"}}));
  std::string job_id = job.value("id", "");
  int64_t created = Millis(job["created_at"]);
  std::vector<json> runs;
  WaitFor(
      [&] {
        runs = ScheduleRuns(flared, job_id);
        return runs.size() >= 4 && runs[3].value("state", "") == "succeeded";
      },
      seconds(8));
  ASSERT_EQ(flared.Call("PATCH", "/flare/v1/jobs/" + job_id, {{"enabled", false}}).status, 200);
  ASSERT_GE(runs.size(), 4u);
  std::vector<int64_t> lateness;
  for (size_t i = 0; i < 4; ++i) {
    int64_t due = Millis(runs[i]["scheduled_for"]);
    EXPECT_EQ((due - created) % 1000, 0) << "not on the phase of created_at " << job["created_at"]
                                         << ": " << runs[i]["scheduled_for"];
    EXPECT_EQ(due - created, 1000 * static_cast<int64_t>(i + 1)) << "a fire was missed or doubled";
    lateness.push_back(Millis(runs[i]["started_at"]) - due);
  }
  std::cout << "[ lateness ] started_at - scheduled_for (ms):";
  for (int64_t ms : lateness) std::cout << ' ' << ms;
  std::cout << '\n';
  std::sort(lateness.begin(), lateness.end());
  int64_t median = (lateness[1] + lateness[2]) / 2;
  EXPECT_GE(lateness.front(), 0) << "a run started before it was due";
  EXPECT_LT(median, 50) << "SPEC §4: a fire starts within 50 ms of its due time";
}

TEST_F(Schedules, CronNextRunAtIsEvaluatedInTheTimeZone) {
  int64_t before = NowMillis();
  json job =
      CreateJob(flared(), HttpJobBody(sink_.Url("/status/200"), GetMethod(),
                                      {{"schedule", "0 3 * * *"}, {"timezone", "Europe/Berlin"}}));
  int64_t after = NowMillis();
  int64_t next = Millis(job["next_run_at"]);
  // Both bounds agree unless creation straddled 03:00 Berlin time.
  EXPECT_TRUE(next == NextLocalThreeAm("Europe/Berlin", before) ||
              next == NextLocalThreeAm("Europe/Berlin", after))
      << job["next_run_at"];
  EXPECT_EQ(job["state"], "scheduled");
  EXPECT_EQ(job["timezone"], "Europe/Berlin");
  EXPECT_TRUE(job["last_run_id"].is_null()) << "a cron job makes no run before its first fire";
  Delete(job.value("id", ""));
}

TEST_F(Schedules, InvalidSchedulesAndZonesAre400sNamingTheField) {
  struct Case {
    json extra;
    std::string field;
    std::string mentions;
  };
  for (const Case& c :
       {Case{{{"schedule", "61 * * * *"}}, "schedule", "minute"},
        Case{{{"schedule", "0 25 * * *"}}, "schedule", "hour"},
        Case{{{"schedule", "0 0 * 13 *"}}, "schedule", "month"},
        Case{{{"schedule", "0 0 30 2 *"}}, "schedule", ""},
        Case{{{"schedule", "* * *"}}, "schedule", ""},
        Case{{{"schedule", "@every 0s"}}, "schedule", ""},
        Case{{{"schedule", "0 3 * * *"}, {"timezone", "Mars/Olympus_Mons"}}, "timezone", ""}}) {
    HttpReply reply =
        flared().Call("POST", "/flare/v1/jobs", HttpJobBody(sink_.Url("/"), GetMethod(), c.extra));
    EXPECT_TRUE(IsApiError(reply, 400, "invalid_request", c.field)) << c.extra.dump();
    std::string message = reply.json()["error"].value("message", "");
    EXPECT_NE(message.find(c.mentions), std::string::npos) << c.extra.dump() << ": " << message;
  }
}

TEST_F(Schedules, PauseStopsFiresAndResumeDoesNotCatchUp) {
  json job = CreateJob(
      flared(), HttpJobBody(sink_.Url("/status/200"), GetMethod(), {{"schedule", "@every 1s"}}));
  std::string job_id = job.value("id", "");
  ASSERT_FALSE(WaitForFirstRun(flared(), job_id, seconds(3)).empty());

  HttpReply paused = flared().Call("PATCH", "/flare/v1/jobs/" + job_id, {{"enabled", false}});
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.json()["enabled"], false);
  EXPECT_TRUE(paused.json()["next_run_at"].is_null()) << paused.body;
  size_t runs_when_paused = RunsOfJob(flared(), job_id).size();
  // Absence of fires can only be observed over a window: two would-be fires.
  std::this_thread::sleep_for(milliseconds(2200));
  EXPECT_EQ(RunsOfJob(flared(), job_id).size(), runs_when_paused) << "a paused job fired";
  EXPECT_TRUE(GetJob(flared(), job_id)["next_run_at"].is_null());

  int64_t resumed_at = NowMillis();
  HttpReply resumed = flared().Call("PATCH", "/flare/v1/jobs/" + job_id, {{"enabled", true}});
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  int64_t next = Millis(resumed.json()["next_run_at"]);
  EXPECT_GT(next, resumed_at - 5) << "next_run_at is computed from the resume time";
  EXPECT_LE(next, NowMillis() + 1000);
  std::vector<json> runs;
  WaitFor([&] { return (runs = RunsOfJob(flared(), job_id)).size() > runs_when_paused; },
          seconds(3));
  ASSERT_GT(runs.size(), runs_when_paused);
  Delete(job_id);
  runs = RunsOfJob(flared(), job_id);
  for (size_t i = 0; i + runs_when_paused < runs.size(); ++i) {  // newest first
    EXPECT_GE(Millis(runs[i]["scheduled_for"]), resumed_at - 5)
        << "a fire of the paused stretch was caught up: " << runs[i].dump();
  }
}

TEST_F(Schedules, PatchingTheScheduleRecomputesNextRunAt) {
  json job = CreateJob(
      flared(), HttpJobBody(sink_.Url("/status/200"), GetMethod(), {{"schedule", "0 3 * * *"}}));
  std::string job_id = job.value("id", "");
  auto utc_hh_mm = [](const json& t) { return t.get<std::string>().substr(11, 5); };
  EXPECT_EQ(utc_hh_mm(job["next_run_at"]), "03:00");

  HttpReply patched =
      flared().Call("PATCH", "/flare/v1/jobs/" + job_id, {{"schedule", "30 4 * * *"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(utc_hh_mm(patched.json()["next_run_at"]), "04:30") << patched.body;
  EXPECT_EQ(patched.json()["version"], 2);

  patched = flared().Call("PATCH", "/flare/v1/jobs/" + job_id, {{"timezone", "Asia/Tokyo"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(utc_hh_mm(patched.json()["next_run_at"]), "19:30") << "04:30 in Tokyo is 19:30 UTC";
  EXPECT_GT(Millis(patched.json()["next_run_at"]), NowMillis());
  EXPECT_EQ(GetJob(flared(), job_id)["next_run_at"], patched.json()["next_run_at"]);
  Delete(job_id);
}

TEST_F(Schedules, ForbidSkipsFiresWhileARunIsActive) {
  json job = CreateJob(flared(),
                       HttpJobBody(sink_.Url("/delay/2500"), GetMethod(),
                                   {{"schedule", "@every 1s"}, {"concurrency_policy", "forbid"}}));
  std::string job_id = job.value("id", "");
  std::vector<json> events;
  WaitFor(
      [&] {
        events = EventsOfJob(flared(), job_id);
        return std::any_of(events.begin(), events.end(),
                           [](const json& e) { return e.value("type", "") == "skipped"; });
      },
      seconds(5));
  std::vector<json> runs = RunsOfJob(flared(), job_id);
  Delete(job_id);
  int skipped = 0;
  for (const auto& event : events) {
    if (event.value("type", "") != "skipped") continue;
    ++skipped;
    EXPECT_NE(event["details"].dump().find("forbid"), std::string::npos) << event.dump();
  }
  EXPECT_GE(skipped, 1) << "no skipped event while the 2.5 s run was active";
  EXPECT_EQ(runs.size(), 1u) << "forbid let a second run start while the first was active";
}

TEST_F(Schedules, AOneOffInstantFiresOnceThenHasNoNextRun) {
  std::string at = TimeFromNow(milliseconds(1500));
  json job =
      CreateJob(flared(), HttpJobBody(sink_.Url("/status/200"), GetMethod(), {{"schedule", at}}));
  std::string job_id = job.value("id", "");
  EXPECT_EQ(job["next_run_at"], at);
  EXPECT_EQ(job["state"], "scheduled");
  std::string run_id = WaitForFirstRun(flared(), job_id, seconds(4));
  json run = WaitForRunDone(flared(), run_id, seconds(5));
  EXPECT_EQ(run.value("state", ""), "succeeded") << run.dump();
  EXPECT_GE(Millis(run["started_at"]), Millis(json(at))) << "fired before its instant";
  json after = GetJob(flared(), job_id);
  EXPECT_TRUE(after["next_run_at"].is_null()) << after.dump();
  EXPECT_EQ(after["state"], "succeeded");
  EXPECT_EQ(RunsOfJob(flared(), job_id).size(), 1u);
  EXPECT_EQ(sink_.requests(), 1);
}

}  // namespace
}  // namespace flare::testing::runs_itest

// Pausing, cancelling and disabling jobs (SPEC §3, §4): a paused job holds every run —
// retries due while it is paused wait for the resume, polls claim nothing of it, a trigger
// waits too; cancelling a recurring job disables it; a one-off job disables itself when it
// fires, and its retries still run.
//
// Absence (no fire, no attempt, no claim) can only be observed over a window: those waits
// are bounded and span at least two would-be events.

#include <thread>

#include "tests/integration/itest.h"
#include "tests/testutil/test_http_server.h"

namespace flare::testing {
namespace {

const json kRetryAfterOneSecond = {
    {"strategy", "fixed"}, {"initial_delay_seconds", 1}, {"jitter", false}};

class PauseAndCancel : public FlaredSuite {
 protected:
  void SetUp() override {
    queue_ = Unique("q");
    worker_ = Unique("w");
  }
  HttpReply Patch(const std::string& job_id, const json& patch) {
    return flared().Call("PATCH", "/flare/v1/jobs/" + job_id, patch);
  }
  size_t RunCount(const std::string& job_id) {
    HttpReply reply = flared().Call("GET", "/flare/v1/runs?limit=100&job=" + job_id);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.json()["data"].size();
  }
  std::string queue_;
  std::string worker_;
};

TEST_F(PauseAndCancel, APausedJobIsNotClaimedAndItsRetryAndTriggerWaitForTheResume) {
  json job =
      CreateJob(flared(), JobBody(queue_, {{"max_attempts", 3}, {"retry", kRetryAfterOneSecond}}));
  std::string job_id = job.value("id", "");
  json claims = Poll(flared(), worker_, queue_);
  ASSERT_EQ(claims.size(), 1u);
  ASSERT_EQ(Ack(flared(), claims[0], worker_, "failed").status, 200);
  ASSERT_EQ(GetJob(flared(), job_id)["state"], "failed");

  HttpReply paused = Patch(job_id, {{"enabled", false}});
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.json()["enabled"], false);
  HttpReply trigger =
      flared().Call("POST", "/flare/v1/jobs/" + job_id + "/trigger", json::object());
  ASSERT_EQ(trigger.status, 201) << trigger.body;
  EXPECT_EQ(trigger.json()["state"], "scheduled")
      << "a trigger of a paused job waits for the resume";
  // The retry falls due after 1 s; a 2.5 s poll must still come back empty.
  EXPECT_TRUE(Poll(flared(), worker_, queue_, 5, 2).empty()) << "a run of a paused job was claimed";
  EXPECT_TRUE(Poll(flared(), worker_, queue_, 5, 0).empty());

  ASSERT_EQ(Patch(job_id, {{"enabled", true}}).status, 200);
  std::set<std::string> runs;
  WaitFor([&] {
    for (const json& claim : Poll(flared(), worker_, queue_, 5, 1)) {
      runs.insert(claim.value("run_id", ""));
      EXPECT_EQ(Ack(flared(), claim, worker_, "succeeded").status, 200);
    }
    return runs.size() >= 2;
  });
  EXPECT_EQ(runs.size(), 2u) << "the held retry and the held trigger both run after the resume";
  EXPECT_TRUE(runs.count(claims[0].value("run_id", ""))) << "the retry is the same run";
  EXPECT_TRUE(runs.count(trigger.json().value("id", "")));
}

TEST_F(PauseAndCancel, CancellingARecurringJobDisablesIt) {
  json job = CreateJob(flared(), JobBody(queue_, {{"schedule", "@every 1s"}}));
  std::string job_id = job.value("id", "");
  ASSERT_TRUE(WaitFor([&] { return GetJob(flared(), job_id)["state"] == "pending"; }, seconds(3)));

  HttpReply cancelled = flared().Call("POST", "/flare/v1/jobs/" + job_id + "/cancel");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.json()["state"], "cancelled");
  json after = GetJob(flared(), job_id);
  EXPECT_EQ(after["enabled"], false) << after.dump();
  EXPECT_TRUE(after["next_run_at"].is_null()) << after.dump();
  size_t runs = RunCount(job_id);
  std::this_thread::sleep_for(milliseconds(2200));  // two would-be fires
  EXPECT_EQ(RunCount(job_id), runs) << "a cancelled recurring job fired again";
  EXPECT_EQ(GetJob(flared(), job_id)["state"], "cancelled");
  EXPECT_TRUE(Poll(flared(), worker_, queue_, 5, 0).empty());

  // Disabled as a pause is: enabling it again plans the next fire from now.
  HttpReply resumed = Patch(job_id, {{"enabled", true}});
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_TRUE(resumed.json()["next_run_at"].is_string()) << resumed.body;
  EXPECT_TRUE(WaitFor([&] { return RunCount(job_id) > runs; }, seconds(3)));
  ASSERT_EQ(flared().Call("DELETE", "/flare/v1/jobs/" + job_id).status, 200);
}

TEST_F(PauseAndCancel, CancellingARecurringJobBeforeItsFirstFire) {
  json job = CreateJob(flared(), JobBody(queue_, {{"schedule", "0 3 * * *"}}));
  std::string job_id = job.value("id", "");
  EXPECT_EQ(job["state"], "scheduled");
  HttpReply cancelled = flared().Call("POST", "/flare/v1/jobs/" + job_id + "/cancel");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  json after = GetJob(flared(), job_id);
  EXPECT_EQ(after["state"], "cancelled") << after.dump();
  EXPECT_EQ(after["enabled"], false);
  EXPECT_TRUE(after["next_run_at"].is_null()) << after.dump();
  EXPECT_TRUE(
      IsError(flared().Call("POST", "/flare/v1/jobs/" + job_id + "/cancel"), 409, "invalid_state"));
}

TEST_F(PauseAndCancel, AOneOffJobDisablesItselfWhenItFiresAndStillRetries) {
  json now =
      CreateJob(flared(), JobBody(queue_, {{"max_attempts", 2}, {"retry", kRetryAfterOneSecond}}));
  std::string now_id = now.value("id", "");
  EXPECT_EQ(GetJob(flared(), now_id)["enabled"], false) << "a job for now fires when it is created";

  std::string later_queue = Unique("q");
  std::string at = "2099-01-01T00:00:00.000Z";
  json later = CreateJob(flared(), JobBody(later_queue, {{"run_at", at}}));
  json waiting = GetJob(flared(), later.value("id", ""));
  EXPECT_EQ(waiting["enabled"], true) << "a one-off that has not fired yet is enabled";
  EXPECT_EQ(waiting["next_run_at"], at);
  HttpReply moved = Patch(later.value("id", ""), {{"run_at", "2000-01-01T00:00:00Z"}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.json()["state"], "pending");
  EXPECT_EQ(moved.json()["enabled"], false) << "fired by the move into the past";
  EXPECT_TRUE(moved.json()["next_run_at"].is_null());

  // Disabled is not paused: the retry of a failed attempt still runs, and a later PATCH
  // neither re-enables the job nor holds the retry.
  json claims = Poll(flared(), worker_, queue_);
  ASSERT_EQ(claims.size(), 1u);
  ASSERT_EQ(Ack(flared(), claims[0], worker_, "failed").status, 200);
  HttpReply patched = Patch(now_id, {{"priority", 5}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["enabled"], false);
  json retry = Poll(flared(), worker_, queue_, 1, 5);
  ASSERT_EQ(retry.size(), 1u) << "the retry of a fired one-off did not run";
  EXPECT_EQ(retry[0]["attempt"], 2);
  ASSERT_EQ(Ack(flared(), retry[0], worker_, "succeeded").status, 200);
  json done = GetJob(flared(), now_id);
  EXPECT_EQ(done["state"], "succeeded");
  EXPECT_EQ(done["enabled"], false);
}

// The measured defect: attempts of an HTTP job kept reaching the target after the pause.
TEST(PausedHttpJob, RetriesDoNotReachTheTargetWhilePaused) {
  TestHttpServer sink;
  FlaredProcess flared({"--allow-private-targets"});
  json job = CreateJob(
      flared,
      {{"http", {{"url", sink.Url("/status/500")}, {"method", "GET"}}},
       {"max_attempts", 5},
       {"retry", {{"strategy", "fixed"}, {"initial_delay_seconds", 2}, {"jitter", false}}}});
  std::string job_id = job.value("id", "");
  ASSERT_TRUE(WaitFor([&] { return GetJob(flared, job_id)["state"] == "failed"; }));
  ASSERT_EQ(flared.Call("PATCH", "/flare/v1/jobs/" + job_id, {{"enabled", false}}).status, 200);
  int at_pause = sink.requests();
  std::this_thread::sleep_for(milliseconds(3000));  // longer than the 2 s retry delay
  EXPECT_EQ(sink.requests(), at_pause) << "an attempt reached the target while the job was paused";
  EXPECT_EQ(GetJob(flared, job_id)["state"], "failed");

  ASSERT_EQ(flared.Call("PATCH", "/flare/v1/jobs/" + job_id, {{"enabled", true}}).status, 200);
  EXPECT_TRUE(sink.WaitForRequests(at_pause + 1, seconds(5)))
      << "the held retry did not run after the resume";
  ASSERT_EQ(flared.Call("DELETE", "/flare/v1/jobs/" + job_id).status, 200);
  ExpectCleanShutdown(flared);
}

}  // namespace
}  // namespace flare::testing

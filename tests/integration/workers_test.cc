// The worker protocol of SPEC §6 against a real flared: register, poll (claims, leases,
// long-poll wake-up), ack (success, failure, retry, dead letter, fencing, idempotency),
// heartbeat, progress, the worker list and lease expiry.

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include "tests/integration/itest.h"
#include "tests/integration/raw_http.h"

namespace flare::testing {
namespace {

class Workers : public FlaredSuite {
 protected:
  void SetUp() override {
    queue_ = Unique("q");
    worker_ = Unique("w");
  }
  json ClaimOne() {
    json claims = Poll(flared(), worker_, queue_);
    EXPECT_EQ(claims.size(), 1u);
    return claims.empty() ? json::object() : claims[0];
  }
  HttpReply Heartbeat(const json& jobs, const std::string& worker = "") {
    return flared().Call("POST", "/flare/v1/workers/heartbeat",
                         {{"worker_id", worker.empty() ? worker_ : worker}, {"jobs", jobs}});
  }
  HttpReply PollRaw(const json& body) {
    return flared().Call("POST", "/flare/v1/workers/poll", body);
  }

  std::string queue_;
  std::string worker_;
};

const json kFastRetry = {{"strategy", "fixed"}, {"initial_delay_seconds", 1}, {"jitter", false}};

TEST_F(Workers, RegisterAnswersTheHeartbeatInterval) {
  HttpReply reply =
      flared().Call("POST", "/flare/v1/workers/register",
                    {{"worker_id", worker_}, {"queues", {queue_}}, {"job_types", {"itest.work"}}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json(),
            json({{"worker_id", worker_}, {"heartbeat_interval_seconds", 30}, {"ack_next", true}}));
  EXPECT_TRUE(IsError(flared().Call("POST", "/flare/v1/workers/register", {{"queues", {queue_}}}),
                      400, "invalid_request", "worker_id"));
  EXPECT_TRUE(IsError(
      flared().Call("POST", "/flare/v1/workers/register", {{"worker_id", worker_}}, "bad-key"), 401,
      "unauthorized"));
}

TEST_F(Workers, PollClaimsWithALeaseAndAckSucceeds) {
  json job = CreateJob(flared(), JobBody(queue_, {{"payload", {{"to", "a@b.c"}}},
                                                  {"tags", {{"env", "dev"}}},
                                                  {"timeout_seconds", 120}}));
  json claim = ClaimOne();
  EXPECT_EQ(claim["id"], job["id"]);
  EXPECT_TRUE(IsPrefixedId(claim.value("run_id", ""), "run")) << claim.dump();
  EXPECT_FALSE(claim.value("lease_id", "").empty()) << claim.dump();
  EXPECT_EQ(claim["attempt"], 1);
  EXPECT_EQ(claim["max_attempts"], 3);
  EXPECT_EQ(claim["timeout_seconds"], 120);
  EXPECT_EQ(claim["job_type"], "itest.work");
  EXPECT_EQ(claim["queue"], queue_);
  EXPECT_EQ(claim["payload"], json({{"to", "a@b.c"}}));
  EXPECT_EQ(claim["tags"], json({{"env", "dev"}}));
  EXPECT_TRUE(claim["lease_expires_at"].is_string()) << claim.dump();

  json processing = GetJob(flared(), job["id"]);
  EXPECT_EQ(processing["state"], "processing");
  EXPECT_EQ(processing["attempt"], 1);
  EXPECT_TRUE(processing["started_at"].is_string());
  EXPECT_TRUE(Poll(flared(), Unique("other"), queue_).empty()) << "a claim is exclusive";

  HttpReply ack = Ack(flared(), claim, worker_, "succeeded", {{"result", {{"sent", true}}}});
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(ack.json(), json({{"job_id", job["id"]},
                              {"run_id", claim["run_id"]},
                              {"state", "succeeded"},
                              {"children_activated", 0}}));
  json done = GetJob(flared(), job["id"]);
  EXPECT_EQ(done["state"], "succeeded");
  EXPECT_EQ(done["progress"], 1.0);
  EXPECT_TRUE(done["duration_ms"].is_number_integer()) << done.dump();
  EXPECT_GE(done.value("duration_ms", -1), 0);
  EXPECT_TRUE(done["completed_at"].is_string());
  EXPECT_TRUE(done["error"].is_null());
  EXPECT_GE(done.value("completed_at", ""), done.value("started_at", "~"));

  // The same ack again answers the same 200; another status for it is refused.
  HttpReply again = Ack(flared(), claim, worker_, "succeeded", {{"result", {{"sent", true}}}});
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json(), ack.json());
  EXPECT_TRUE(IsError(Ack(flared(), claim, worker_, "failed"), 409, "lease_lost"));
  EXPECT_EQ(GetJob(flared(), job["id"])["state"], "succeeded");
}

TEST_F(Workers, AckDurationIsKept) {
  json job = CreateJob(flared(), JobBody(queue_));
  json claim = ClaimOne();
  ASSERT_EQ(Ack(flared(), claim, worker_, "succeeded", {{"duration_ms", 1042}}).status, 200);
  EXPECT_EQ(GetJob(flared(), job["id"])["duration_ms"], 1042);
}

TEST_F(Workers, FailedAttemptRetriesWithANewLeaseThenDeadLetters) {
  json job = CreateJob(flared(), JobBody(queue_, {{"max_attempts", 2}, {"retry", kFastRetry}}));
  json first = ClaimOne();
  HttpReply ack =
      Ack(flared(), first, worker_, "failed",
          {{"error", {{"type", "IOError"}, {"message", "disk full"}, {"stack_trace", "at f()"}}}});
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(ack.json()["state"], "failed");
  json failed = GetJob(flared(), job["id"]);
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_TRUE(failed["next_retry_at"].is_string()) << failed.dump();
  EXPECT_EQ(failed["error"],
            json({{"type", "IOError"}, {"message", "disk full"}, {"stack_trace", "at f()"}}));
  EXPECT_TRUE(Poll(flared(), worker_, queue_).empty()) << "not claimable before next_retry_at";

  // Due after ~1 s: a waiting poll receives the second attempt with a new lease.
  auto started = Clock::now();
  json second = Poll(flared(), worker_, queue_, 1, 5);
  double waited = MillisBetween(started, Clock::now());
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0]["id"], job["id"]);
  EXPECT_EQ(second[0]["attempt"], 2);
  EXPECT_NE(second[0]["lease_id"], first["lease_id"]);
  EXPECT_GT(waited, 300.0) << "the retry came before its delay";
  EXPECT_LT(waited, 3000.0);
  // The old lease is fenced off.
  EXPECT_TRUE(IsError(Ack(flared(), first, worker_, "succeeded"), 409, "lease_lost"));
  EXPECT_EQ(GetJob(flared(), job["id"])["state"], "processing");

  HttpReply last = Ack(flared(), second[0], worker_, "failed",
                       {{"error", {{"type", "IOError"}, {"message", "again"}}}});
  ASSERT_EQ(last.status, 200) << last.body;
  EXPECT_EQ(last.json()["state"], "dead_letter");
  json dead = GetJob(flared(), job["id"]);
  EXPECT_EQ(dead["state"], "dead_letter");
  EXPECT_EQ(dead["attempt"], 2);
  EXPECT_EQ(dead["error"]["message"], "again");
  EXPECT_TRUE(dead["next_retry_at"].is_null()) << dead.dump();
  EXPECT_TRUE(Poll(flared(), worker_, queue_).empty());
}

TEST_F(Workers, NonRetryableFailureDeadLettersAtOnce) {
  json job = CreateJob(flared(), JobBody(queue_, {{"max_attempts", 5}}));
  HttpReply ack = Ack(flared(), ClaimOne(), worker_, "failed", {{"retryable", false}});
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(ack.json()["state"], "dead_letter");
  json dead = GetJob(flared(), job["id"]);
  EXPECT_EQ(dead["state"], "dead_letter");
  EXPECT_TRUE(dead["error"].is_object()) << "a failure without details still records an error";
}

TEST_F(Workers, AckFromAnotherWorkerOrWithAnotherLeaseIsLeaseLost) {
  json job = CreateJob(flared(), JobBody(queue_));
  json claim = ClaimOne();
  EXPECT_TRUE(IsError(Ack(flared(), claim, "intruder", "succeeded"), 409, "lease_lost"));
  json forged = claim;
  forged["lease_id"] = "lease_forged";
  EXPECT_TRUE(IsError(Ack(flared(), forged, worker_, "succeeded"), 409, "lease_lost"));
  json state = GetJob(flared(), job["id"]);
  EXPECT_EQ(state["state"], "processing") << "a refused ack changes nothing";
  EXPECT_EQ(state["attempt"], 1);
  EXPECT_EQ(Ack(flared(), claim, worker_, "succeeded").status, 200);
  EXPECT_TRUE(IsError(flared().Call("POST", "/flare/v1/workers/ack",
                                    {{"job_id", "job_01AAAAAAAAAAAAAAAAAAAAAAAA"},
                                     {"worker_id", worker_},
                                     {"status", "succeeded"}}),
                      404, "job_not_found"));
  EXPECT_TRUE(IsError(Ack(flared(), claim, worker_, "done"), 400, "invalid_request", "status"));
}

TEST_F(Workers, HeartbeatNamesJobsNotHeldAndProgressUpdatesTheJob) {
  json job = CreateJob(flared(), JobBody(queue_));
  json other = CreateJob(flared(), JobBody(Unique("q")));
  json claim = ClaimOne();
  HttpReply beat = Heartbeat(
      {{{"job_id", job["id"]}, {"progress", 0.25}}, {{"job_id", other["id"]}, {"progress", 0.5}}});
  ASSERT_EQ(beat.status, 200) << beat.body;
  EXPECT_EQ(beat.json()["ok"], true);
  EXPECT_EQ(beat.json()["cancel"], json::array({other["id"]}));
  EXPECT_EQ(GetJob(flared(), job["id"])["progress"], 0.25);
  EXPECT_EQ(GetJob(flared(), other["id"])["state"], "pending") << "a heartbeat claims nothing";
  HttpReply stranger = Heartbeat({{{"job_id", job["id"]}}}, "stranger");
  EXPECT_EQ(stranger.json()["cancel"], json::array({job["id"]}));

  auto progress = [&](const json& value) {
    return flared().Call("POST", "/flare/v1/workers/progress",
                         {{"worker_id", worker_}, {"job_id", job["id"]}, {"progress", value}});
  };
  EXPECT_EQ(progress(0.5).status, 200);
  EXPECT_EQ(GetJob(flared(), job["id"])["progress"], 0.5);
  EXPECT_TRUE(IsError(progress(1.5), 400, "invalid_request", "progress"));
  EXPECT_TRUE(IsError(progress(-0.1), 400, "invalid_request", "progress"));
  EXPECT_TRUE(IsError(progress("half"), 400, "invalid_request", "progress"));
  EXPECT_EQ(GetJob(flared(), job["id"])["progress"], 0.5);
  ASSERT_EQ(Ack(flared(), claim, worker_, "succeeded").status, 200);
  EXPECT_TRUE(IsError(progress(0.9), 409, "lease_lost"));
  EXPECT_EQ(GetJob(flared(), job["id"])["progress"], 1.0);
}

TEST_F(Workers, ListShowsWorkersWithRunsHeld) {
  CreateJob(flared(), JobBody(queue_));
  CreateJob(flared(), JobBody(queue_));
  ASSERT_EQ(Poll(flared(), worker_, queue_, 2).size(), 2u);
  HttpReply reply = flared().Call("GET", "/flare/v1/workers");
  ASSERT_EQ(reply.status, 200) << reply.body;
  json mine;
  json workers = reply.json()["data"];
  for (const auto& worker : workers) {
    if (worker.value("worker_id", "") == worker_) mine = worker;
  }
  ASSERT_TRUE(mine.is_object()) << reply.body.substr(0, 500);
  EXPECT_EQ(mine["runs_held"], 2) << mine.dump();
  EXPECT_TRUE(mine.contains("last_seen_at") || mine.contains("last_seen")) << mine.dump();
}

TEST_F(Workers, PollHonoursMaxJobsAndReturnsAtOnceWithZeroWait) {
  json batch = json::array();
  for (int i = 0; i < 60; ++i) batch.push_back(JobBody(queue_));
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/batch", {{"jobs", batch}}).status, 201);
  json first = Poll(flared(), worker_, queue_, 50);
  EXPECT_EQ(first.size(), 50u);
  json rest = Poll(flared(), worker_, queue_, 50);
  EXPECT_EQ(rest.size(), 10u);
  std::set<std::string> ids;
  for (const auto& claim : first) ids.insert(claim["id"]);
  for (const auto& claim : rest) ids.insert(claim["id"]);
  EXPECT_EQ(ids.size(), 60u);

  auto started = Clock::now();
  EXPECT_TRUE(Poll(flared(), worker_, queue_, 5, 0).empty());
  EXPECT_LT(MillisBetween(started, Clock::now()), 500.0) << "wait_seconds 0 must not wait";
}

TEST_F(Workers, PollOrderIsPriorityThenDueTime) {
  json low = CreateJob(flared(), JobBody(queue_, {{"priority", -5}}));
  json normal_a = CreateJob(flared(), JobBody(queue_));
  json high = CreateJob(flared(), JobBody(queue_, {{"priority", 10}}));
  json normal_b = CreateJob(flared(), JobBody(queue_));
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) order.push_back(ClaimOne().value("id", ""));
  EXPECT_EQ(order,
            (std::vector<std::string>{high["id"], normal_a["id"], normal_b["id"], low["id"]}));
}

TEST_F(Workers, PollFiltersByJobType) {
  json other_type = CreateJob(flared(), JobBody(queue_, {{"job_type", "other.type"}}));
  json mine = CreateJob(flared(), JobBody(queue_, {{"job_type", "mine.type"}}));
  HttpReply reply = PollRaw({{"worker_id", worker_},
                             {"queues", {queue_}},
                             {"job_types", {"mine.type"}},
                             {"max_jobs", 10},
                             {"wait_seconds", 0}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  ASSERT_EQ(reply.json()["jobs"].size(), 1u);
  EXPECT_EQ(reply.json()["jobs"][0]["id"], mine["id"]);
  EXPECT_EQ(GetJob(flared(), other_type["id"])["state"], "pending");
}

TEST_F(Workers, PollValidation) {
  json base = {{"worker_id", worker_}, {"queues", {queue_}}, {"wait_seconds", 0}};
  auto with = [&](const char* key, const json& value) {
    json body = base;
    body[key] = value;
    return PollRaw(body);
  };
  EXPECT_TRUE(IsError(with("max_jobs", 0), 400, "invalid_request", "max_jobs"));
  EXPECT_TRUE(IsError(with("max_jobs", 101), 400, "invalid_request", "max_jobs"));
  EXPECT_TRUE(IsError(with("max_jobs", "5"), 400, "invalid_request", "max_jobs"));
  EXPECT_TRUE(IsError(with("wait_seconds", 61), 400, "invalid_request", "wait_seconds"));
  EXPECT_TRUE(IsError(with("wait_seconds", -1), 400, "invalid_request", "wait_seconds"));
  EXPECT_TRUE(IsError(with("max_job", 3), 400, "invalid_request", "max_job"));
  EXPECT_TRUE(IsError(PollRaw({{"queues", {queue_}}}), 400, "invalid_request", "worker_id"));
  EXPECT_EQ(with("max_jobs", 100).status, 200);
}

TEST_F(Workers, WaitingPollIsWokenByACreateAtOnce) {
  auto poll = std::async(std::launch::async, [&] {
    json claims = Poll(flared(), worker_, queue_, 1, 10);
    return std::make_pair(claims, Clock::now());
  });
  // Give the poll time to park; then the create must wake it, not a timer.
  std::this_thread::sleep_for(milliseconds(200));
  json job = CreateJob(flared(), JobBody(queue_));
  auto created = Clock::now();
  ASSERT_EQ(poll.wait_for(seconds(12)), std::future_status::ready);
  auto [claims, returned] = poll.get();
  double latency = MillisBetween(created, returned);
  std::printf("[ measure  ] long-poll wake latency: %.2f ms after the 201\n", latency);
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0]["id"], job["id"]);
  EXPECT_LT(latency, 250.0);
}

// The create's own transaction claims the job for the parked poll (README "Workers"): the
// 201 already says processing, the poll gets that job with a lease its ack can use.
TEST_F(Workers, AParkedPollIsHandedTheJobByTheCreatesOwnCommit) {
  auto poll =
      std::async(std::launch::async, [&] { return Poll(flared(), worker_, queue_, 1, 10); });
  // Parked by then, even under the sanitizers (its first, empty claim takes milliseconds).
  std::this_thread::sleep_for(seconds(1));
  json job = CreateJob(flared(), JobBody(queue_));
  EXPECT_EQ(job["state"], "processing") << job.dump();
  ASSERT_EQ(poll.wait_for(seconds(12)), std::future_status::ready);
  json claims = poll.get();
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0]["id"], job["id"]);
  HttpReply acked = Ack(flared(), claims[0], worker_, "succeeded");
  EXPECT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(GetJob(flared(), job["id"])["state"], "succeeded");
}

// A worker stopped (its connection closed) while its poll was parked, the older of two: the
// next job goes to the poll whose worker is still there, not to the departed one, where it
// would have waited out its lease (30 minutes by default) with nobody to work it.
TEST_F(Workers, AJobGoesToAPollWhoseWorkerIsThereNotToOneThatLeft) {
  std::string body = json({{"worker_id", Unique("stopped")},
                           {"queues", {queue_}},
                           {"max_jobs", 1},
                           {"wait_seconds", 30}})
                         .dump();
  auto stopped = std::make_unique<RawConnection>(flared().port());
  ASSERT_TRUE(stopped->connected());
  ASSERT_TRUE(stopped->Send(
      "POST /flare/v1/workers/poll HTTP/1.1\r\nHost: x\r\n"
      "Authorization: Bearer " +
      flared().admin_key() + "\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body));
  std::this_thread::sleep_for(milliseconds(500));  // parked (its empty claim takes ms)
  auto live =
      std::async(std::launch::async, [&] { return Poll(flared(), worker_, queue_, 1, 10); });
  std::this_thread::sleep_for(milliseconds(500));
  stopped.reset();  // the worker stops
  json job = CreateJob(flared(), JobBody(queue_));
  ASSERT_EQ(live.wait_for(seconds(12)), std::future_status::ready);
  json claims = live.get();
  ASSERT_EQ(claims.size(), 1u) << "the job went to the poll whose worker had left";
  EXPECT_EQ(claims[0]["id"], job["id"]);
  HttpReply acked = Ack(flared(), claims[0], worker_, "succeeded");
  EXPECT_EQ(acked.status, 200) << acked.body;
}

TEST_F(Workers, WaitingPollTimesOutEmpty) {
  auto started = Clock::now();
  json claims = Poll(flared(), worker_, queue_, 1, 1);
  double waited = MillisBetween(started, Clock::now());
  EXPECT_TRUE(claims.empty());
  EXPECT_GE(waited, 900.0);
  EXPECT_LT(waited, 3000.0);
}

// Lease expiry and extension together: both jobs have a 1 s timeout, one lease is extended.
TEST_F(Workers, ExpiredLeaseFailsTheAttemptWithTimeoutAndExtensionKeepsIt) {
  json lapsing =
      CreateJob(flared(), JobBody(queue_, {{"timeout_seconds", 1}, {"retry", kFastRetry}}));
  json extended = CreateJob(flared(), JobBody(queue_, {{"timeout_seconds", 1}}));
  json claims = Poll(flared(), worker_, queue_, 2);
  ASSERT_EQ(claims.size(), 2u);
  auto claimed_at = Clock::now();
  json lapsing_claim = claims[0]["id"] == lapsing["id"] ? claims[0] : claims[1];
  json extended_claim = claims[0]["id"] == lapsing["id"] ? claims[1] : claims[0];
  HttpReply beat = Heartbeat({{{"job_id", extended["id"]}, {"extend_seconds", 60}}});
  ASSERT_EQ(beat.status, 200) << beat.body;
  EXPECT_EQ(beat.json()["cancel"], json::array());

  json after;
  bool expired = WaitFor(
      [&] {
        after = GetJob(flared(), lapsing["id"]);
        return after.value("state", "") != "processing";
      },
      seconds(6));
  double took = MillisBetween(claimed_at, Clock::now());
  ASSERT_TRUE(expired) << after.dump();
  std::printf("[ measure  ] lease of 1 s expired after %.0f ms\n", took);
  EXPECT_TRUE(after["state"] == "failed" || after["state"] == "pending") << after.dump();
  EXPECT_GE(took, 900.0);
  ASSERT_TRUE(after["error"].is_object()) << after.dump();
  std::string error_text = after["error"].dump();
  std::transform(error_text.begin(), error_text.end(), error_text.begin(), ::tolower);
  EXPECT_NE(error_text.find("timeout"), std::string::npos) << error_text;

  EXPECT_EQ(GetJob(flared(), extended["id"])["state"], "processing") << "the extended lease holds";
  EXPECT_TRUE(IsError(Ack(flared(), lapsing_claim, worker_, "succeeded"), 409, "lease_lost"));

  json again = Poll(flared(), worker_, queue_, 1, 4);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["id"], lapsing["id"]);
  EXPECT_EQ(again[0]["attempt"], 2);
  EXPECT_NE(again[0]["lease_id"], lapsing_claim["lease_id"]);
  EXPECT_EQ(Ack(flared(), again[0], worker_, "succeeded").status, 200);
  EXPECT_EQ(Ack(flared(), extended_claim, worker_, "succeeded").status, 200);

  // The run's failure_reason (SPEC §2) is TIMEOUT; the attempt_failed event carries it.
  HttpReply events =
      flared().Call("GET", "/flare/v1/jobs/" + lapsing.value("id", "") + "/events?limit=100");
  json history = events.json()["data"];
  json failed_event;
  for (const auto& event : history) {
    if (event.value("type", "") == "attempt_failed") failed_event = event;
  }
  ASSERT_TRUE(failed_event.is_object()) << events.body;
  EXPECT_EQ(failed_event["attempt"], 1);
  EXPECT_EQ(failed_event["details"]["failure_reason"], "TIMEOUT") << failed_event.dump();
}

}  // namespace
}  // namespace flare::testing

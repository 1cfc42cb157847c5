// An ack that takes the worker's next jobs (issue 8; README "Ack and take the next jobs")
// against a real flared: {"next": {max_jobs, queues?, job_types?}} beside a single ack or a
// list claims, in the ack's own transaction, what a poll with wait_seconds 0 would.

#include "tests/integration/itest.h"

namespace flare::testing {
namespace {

class AckNext : public FlaredSuite {
 protected:
  void SetUp() override {
    queue_ = Unique("q");
    worker_ = Unique("w");
  }
  json Next(int max_jobs) const { return {{"max_jobs", max_jobs}, {"queues", {queue_}}}; }
  HttpReply AckTakingNext(const json& claim, const std::string& status, const json& next) {
    return Ack(flared(), claim, worker_, status, {{"next", next}});
  }
  static json ItemOf(const json& claim) {
    return {{"job_id", claim.value("id", "")},
            {"run_id", claim.value("run_id", "")},
            {"lease_id", claim.value("lease_id", "")},
            {"status", "succeeded"}};
  }

  std::string queue_;
  std::string worker_;
};

TEST_F(AckNext, RegistrationSaysAcksMayTakeTheNextJobs) {
  HttpReply reply = flared().Call("POST", "/flare/v1/workers/register",
                                  {{"worker_id", worker_}, {"queues", {queue_}}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json()["ack_next"], true);
}

TEST_F(AckNext, AnAckHandsOverTheNextJobsUnderFreshLeases) {
  std::vector<std::string> created;
  for (int i = 0; i < 3; ++i) created.push_back(CreateJob(flared(), JobBody(queue_))["id"]);
  json first = Poll(flared(), worker_, queue_, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["id"], created[0]);

  HttpReply reply = AckTakingNext(first[0], "succeeded", Next(5));
  ASSERT_EQ(reply.status, 200) << reply.body;
  json answer = reply.json();
  // The single ack's answer stays as seed 000 has it; "jobs" is what a poll would hand over.
  EXPECT_EQ(answer["job_id"], created[0]);
  EXPECT_EQ(answer["run_id"], first[0]["run_id"]);
  EXPECT_EQ(answer["state"], "succeeded");
  EXPECT_EQ(answer["children_activated"], 0);
  ASSERT_EQ(answer["jobs"].size(), 2u) << reply.body;
  EXPECT_EQ(answer["jobs"][0]["id"], created[1]) << "due order, as a poll claims";
  EXPECT_EQ(answer["jobs"][1]["id"], created[2]);
  for (const json& claim : answer["jobs"]) {
    EXPECT_FALSE(claim.value("lease_id", "").empty()) << claim.dump();
    EXPECT_FALSE(claim.value("lease_expires_at", "").empty()) << claim.dump();
    EXPECT_EQ(claim["queue"], queue_);
    EXPECT_EQ(claim["attempt"], 1);
    EXPECT_EQ(GetJob(flared(), claim["id"])["state"], "processing");
  }
  EXPECT_EQ(GetJob(flared(), created[0])["state"], "succeeded");
  // Claimed for this worker: nobody else gets them, and their leases are the ones to ack.
  EXPECT_TRUE(Poll(flared(), Unique("other"), queue_, 10).empty());
  HttpReply second = AckTakingNext(answer["jobs"][0], "succeeded", Next(5));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.json()["jobs"], json::array()) << "none left: an empty list, never a wait";
  EXPECT_EQ(Ack(flared(), answer["jobs"][1], worker_, "succeeded").status, 200);
}

TEST_F(AckNext, ARefusedAckClaimsNothing) {
  CreateJob(flared(), JobBody(queue_));
  json waiting = CreateJob(flared(), JobBody(queue_));
  json claims = Poll(flared(), worker_, queue_, 1);
  ASSERT_EQ(claims.size(), 1u);
  json forged = claims[0];
  forged["lease_id"] = "lse_forged";
  EXPECT_TRUE(IsError(AckTakingNext(forged, "succeeded", Next(1)), 409, "lease_lost"));
  EXPECT_EQ(GetJob(flared(), waiting["id"])["state"], "pending") << "the 409 claimed it anyway";
  EXPECT_TRUE(
      IsError(Ack(flared(), claims[0], Unique("stranger"), "succeeded", {{"next", Next(1)}}), 409,
              "lease_lost"));
  EXPECT_EQ(GetJob(flared(), waiting["id"])["state"], "pending");
}

TEST_F(AckNext, NextTakesOnlyItsQueuesAndJobTypes) {
  std::string elsewhere = Unique("elsewhere");
  CreateJob(flared(), JobBody(queue_));
  json other_queue = CreateJob(flared(), JobBody(elsewhere));
  json other_type = CreateJob(flared(), JobBody(queue_, {{"job_type", "itest.other"}}));
  json claims = Poll(flared(), worker_, queue_, 1);
  ASSERT_EQ(claims.size(), 1u);
  json wanted = CreateJob(flared(), JobBody(queue_));
  json next = Next(10);
  next["job_types"] = {"itest.work"};
  HttpReply reply = AckTakingNext(claims[0], "failed", next);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json()["state"], "failed");
  // The failed attempt retries after its backoff, so it is not ready yet: only `wanted` is.
  ASSERT_EQ(reply.json()["jobs"].size(), 1u) << reply.body;
  EXPECT_EQ(reply.json()["jobs"][0]["id"], wanted["id"]);
  EXPECT_EQ(GetJob(flared(), other_queue["id"])["state"], "pending");
  EXPECT_EQ(GetJob(flared(), other_type["id"])["state"], "pending");
}

TEST_F(AckNext, AListAckTakesTheNextJobsWhateverItsItemsAnswered) {
  for (int i = 0; i < 4; ++i) CreateJob(flared(), JobBody(queue_));
  json claims = Poll(flared(), worker_, queue_, 2);
  ASSERT_EQ(claims.size(), 2u);
  json forged = ItemOf(claims[1]);
  forged["lease_id"] = "lse_forged";
  HttpReply reply = flared().Call(
      "POST", "/flare/v1/workers/ack",
      {{"worker_id", worker_}, {"acks", {ItemOf(claims[0]), forged}}, {"next", Next(2)}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  json answer = reply.json();
  EXPECT_EQ(answer["results"][0]["status"], 200);
  EXPECT_EQ(answer["results"][1]["status"], 409);
  ASSERT_EQ(answer["jobs"].size(), 2u) << reply.body;
  for (const json& claim : answer["jobs"]) {
    EXPECT_NE(claim["id"], claims[0]["id"]);
    EXPECT_NE(claim["id"], claims[1]["id"]);
    EXPECT_EQ(Ack(flared(), claim, worker_, "succeeded").status, 200);
  }
}

TEST_F(AckNext, AMalformedNextIsA400AndChangesNothing) {
  CreateJob(flared(), JobBody(queue_));
  json waiting = CreateJob(flared(), JobBody(queue_));
  json claims = Poll(flared(), worker_, queue_, 1);
  ASSERT_EQ(claims.size(), 1u);
  auto next_of = [&](const json& next) { return AckTakingNext(claims[0], "succeeded", next); };
  EXPECT_TRUE(IsError(next_of(3), 400, "invalid_request", "next"));
  EXPECT_TRUE(IsError(next_of({{"max_jobs", 0}}), 400, "invalid_request", "next.max_jobs"));
  EXPECT_TRUE(IsError(next_of({{"max_jobs", 101}}), 400, "invalid_request", "next.max_jobs"));
  EXPECT_TRUE(IsError(next_of({{"queues", "q"}}), 400, "invalid_request", "next.queues"));
  EXPECT_TRUE(IsError(next_of({{"wait_seconds", 5}}), 400, "invalid_request", "next"));
  EXPECT_TRUE(IsError(next_of({{"worker_id", "someone"}}), 400, "invalid_request", "next"));
  EXPECT_TRUE(IsError(next_of({{"colour", "red"}}), 400, "invalid_request"));
  // A list without its own worker_id cannot say whom the next jobs are for; an item may
  // not ask for next jobs of its own.
  EXPECT_TRUE(IsError(flared().Call("POST", "/flare/v1/workers/ack",
                                    {{"acks", {ItemOf(claims[0])}}, {"next", Next(1)}}),
                      400, "invalid_request", "worker_id"));
  json item = ItemOf(claims[0]);
  item["next"] = Next(1);
  HttpReply list =
      flared().Call("POST", "/flare/v1/workers/ack", {{"worker_id", worker_}, {"acks", {item}}});
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json()["results"][0]["status"], 400);
  EXPECT_FALSE(list.json().contains("jobs"));
  EXPECT_EQ(GetJob(flared(), claims[0]["id"])["state"], "processing");
  EXPECT_EQ(GetJob(flared(), waiting["id"])["state"], "pending");
}

}  // namespace
}  // namespace flare::testing

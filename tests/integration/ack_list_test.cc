// The list form of POST /flare/v1/workers/ack (issue 8; README "Acks in a list") against a
// real flared: one request, every item applied in one transaction and answered alone, in
// order, with the status the single ack would have answered.

#include "tests/integration/itest.h"

namespace flare::testing {
namespace {

class AckList : public FlaredSuite {
 protected:
  void SetUp() override {
    queue_ = Unique("q");
    worker_ = Unique("w");
  }
  // The single ack's body, as an item (worker_id comes from the list).
  static json Item(const json& claim, const std::string& status, const json& extra = {}) {
    json item = {{"job_id", claim.value("id", "")},
                 {"run_id", claim.value("run_id", "")},
                 {"lease_id", claim.value("lease_id", "")},
                 {"status", status}};
    for (const auto& [key, value] : extra.items()) item[key] = value;
    return item;
  }
  HttpReply AckAll(const json& items) {
    return flared().Call("POST", "/flare/v1/workers/ack",
                         {{"worker_id", worker_}, {"acks", items}});
  }
  json ClaimN(size_t n) {
    json claims = Poll(flared(), worker_, queue_, static_cast<int>(n));
    EXPECT_EQ(claims.size(), n) << claims.dump();
    return claims;
  }

  std::string queue_;
  std::string worker_;
};

TEST_F(AckList, EachItemIsAnsweredAloneAndInvalidItemsChangeNothing) {
  for (int i = 0; i < 3; ++i) CreateJob(flared(), JobBody(queue_));
  json claims = ClaimN(3);
  ASSERT_EQ(claims.size(), 3u);
  json forged = claims[2];
  forged["lease_id"] = "lease_forged";
  HttpReply reply =
      AckAll(json::array({Item(claims[0], "succeeded", {{"result", {{"n", 1}}}}),
                          Item(claims[1], "failed", {{"retryable", false}, {"error", "boom"}}),
                          Item(claims[2], "maybe"),   // invalid: 400, changes nothing
                          Item(forged, "succeeded"),  // not the current lease: 409
                          {{"job_id", "job_doesnotexist"}, {"status", "succeeded"}}}));
  ASSERT_EQ(reply.status, 200) << reply.body;
  json results = reply.json()["results"];
  ASSERT_EQ(results.size(), 5u) << reply.body;
  EXPECT_EQ(results[0], json({{"job_id", claims[0]["id"]},
                              {"run_id", claims[0]["run_id"]},
                              {"state", "succeeded"},
                              {"children_activated", 0},
                              {"status", 200}}));
  EXPECT_EQ(results[1]["status"], 200);
  EXPECT_EQ(results[1]["state"], "dead_letter");
  EXPECT_EQ(results[2]["status"], 400);
  EXPECT_EQ(results[2]["error"]["code"], "invalid_request");
  EXPECT_EQ(results[2]["error"]["field"], "status");
  EXPECT_EQ(results[3]["status"], 409);
  EXPECT_EQ(results[3]["error"]["code"], "lease_lost");
  EXPECT_EQ(results[4]["status"], 404);
  EXPECT_EQ(results[4]["error"]["code"], "job_not_found");

  EXPECT_EQ(GetJob(flared(), claims[0]["id"])["state"], "succeeded");
  HttpReply run = flared().Call("GET", "/flare/v1/runs/" + claims[0].value("run_id", ""));
  EXPECT_EQ(run.json()["result"], json({{"n", 1}})) << run.body;
  EXPECT_EQ(GetJob(flared(), claims[1]["id"])["state"], "dead_letter");
  EXPECT_EQ(GetJob(flared(), claims[2]["id"])["state"], "processing") << "refused items stay held";
  // The held run can still be acked, alone, with the single-ack wire format (seed 000).
  HttpReply single = Ack(flared(), claims[2], worker_, "succeeded");
  EXPECT_EQ(single.status, 200) << single.body;
}

// A list looks for the children waiting on its jobs once, for all of them: a parent that
// succeeds in a list starts its children, one that dead-letters cancels them, and a
// childless job beside them answers as it would alone.
TEST_F(AckList, ParentsInAListStartOrCancelTheirChildrenBesideChildlessJobs) {
  for (int i = 0; i < 3; ++i) CreateJob(flared(), JobBody(queue_));
  json claims = ClaimN(3);
  ASSERT_EQ(claims.size(), 3u);
  std::string children_queue = Unique("children");
  auto child_of = [&](const json& claim) {
    return CreateJob(flared(), JobBody(children_queue, {{"parent_job_id", claim.value("id", "")}}));
  };
  json started = child_of(claims[0]);
  json also_started = child_of(claims[0]);
  json cancelled = child_of(claims[1]);
  EXPECT_EQ(started["state"], "scheduled");
  HttpReply reply =
      AckAll(json::array({Item(claims[0], "succeeded"),
                          Item(claims[1], "failed", {{"retryable", false}, {"error", "boom"}}),
                          Item(claims[2], "succeeded")}));
  ASSERT_EQ(reply.status, 200) << reply.body;
  json results = reply.json()["results"];
  ASSERT_EQ(results.size(), 3u) << reply.body;
  EXPECT_EQ(results[0]["children_activated"], 2);
  EXPECT_EQ(results[1]["state"], "dead_letter");
  EXPECT_EQ(results[2]["children_activated"], 0);
  EXPECT_EQ(GetJob(flared(), started["id"])["state"], "pending");
  EXPECT_EQ(GetJob(flared(), also_started["id"])["state"], "pending");
  EXPECT_EQ(GetJob(flared(), cancelled["id"])["state"], "cancelled");
}

TEST_F(AckList, RepeatingTheListAnswersTheSameAndAMixedRepeatIsRefused) {
  for (int i = 0; i < 2; ++i) CreateJob(flared(), JobBody(queue_));
  json claims = ClaimN(2);
  ASSERT_EQ(claims.size(), 2u);
  json items = json::array({Item(claims[0], "succeeded"), Item(claims[1], "succeeded")});
  HttpReply first = AckAll(items);
  ASSERT_EQ(first.status, 200) << first.body;
  HttpReply again = AckAll(items);  // a retry after a lost response
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json(), first.json());
  // The same item twice in one list: the second sees the first's commit-to-be.
  HttpReply twice = AckAll(json::array({Item(claims[0], "succeeded"), Item(claims[0], "failed")}));
  ASSERT_EQ(twice.status, 200) << twice.body;
  EXPECT_EQ(twice.json()["results"][0]["status"], 200);
  EXPECT_EQ(twice.json()["results"][1]["status"], 409);
  // A single ack of an item acked by a list answers as the list did.
  HttpReply single = Ack(flared(), claims[1], worker_, "succeeded");
  ASSERT_EQ(single.status, 200) << single.body;
  json expected = first.json()["results"][1];
  expected.erase("status");
  EXPECT_EQ(single.json(), expected);
}

TEST_F(AckList, AnItemWhoseLeaseExpiredIsLeaseLostWhileTheOthersStand) {
  const json fast_retry = {{"strategy", "fixed"}, {"initial_delay_seconds", 30}, {"jitter", false}};
  json lapsing =
      CreateJob(flared(), JobBody(queue_, {{"timeout_seconds", 1}, {"retry", fast_retry}}));
  json kept = CreateJob(flared(), JobBody(queue_, {{"timeout_seconds", 300}}));
  json claims = ClaimN(2);
  ASSERT_EQ(claims.size(), 2u);
  json lapsing_claim = claims[0]["id"] == lapsing["id"] ? claims[0] : claims[1];
  json kept_claim = claims[0]["id"] == lapsing["id"] ? claims[1] : claims[0];
  ASSERT_TRUE(WaitFor([&] { return GetJob(flared(), lapsing["id"])["state"] != "processing"; },
                      seconds(8)));
  HttpReply reply =
      AckAll(json::array({Item(lapsing_claim, "succeeded"), Item(kept_claim, "succeeded")}));
  ASSERT_EQ(reply.status, 200) << reply.body;
  json results = reply.json()["results"];
  EXPECT_EQ(results[0]["status"], 409);
  EXPECT_EQ(results[0]["error"]["code"], "lease_lost");
  EXPECT_EQ(results[1]["status"], 200);
  EXPECT_EQ(GetJob(flared(), kept["id"])["state"], "succeeded");
  EXPECT_NE(GetJob(flared(), lapsing["id"])["state"], "succeeded");
}

TEST_F(AckList, AMalformedListIsA400AndChangesNothing) {
  CreateJob(flared(), JobBody(queue_));
  json claims = ClaimN(1);
  ASSERT_EQ(claims.size(), 1u);
  auto call = [&](const json& body) {
    return flared().Call("POST", "/flare/v1/workers/ack", body);
  };
  EXPECT_TRUE(IsError(call({{"worker_id", worker_}, {"acks", json::array()}}), 400,
                      "invalid_request", "acks"));
  EXPECT_TRUE(
      IsError(call({{"worker_id", worker_}, {"acks", "all"}}), 400, "invalid_request", "acks"));
  json too_many = json::array();
  for (int i = 0; i < 1001; ++i) too_many.push_back(Item(claims[0], "succeeded"));
  EXPECT_TRUE(
      IsError(call({{"worker_id", worker_}, {"acks", too_many}}), 400, "invalid_request", "acks"));
  EXPECT_TRUE(IsError(call({{"worker_id", worker_},
                            {"acks", json::array({Item(claims[0], "succeeded")})},
                            {"extra", 1}}),
                      400, "invalid_request"));
  // An item without any worker_id is that item's 400, not the list's.
  HttpReply anonymous = call({{"acks", json::array({Item(claims[0], "succeeded")})}});
  ASSERT_EQ(anonymous.status, 200) << anonymous.body;
  EXPECT_EQ(anonymous.json()["results"][0]["status"], 400);
  EXPECT_EQ(GetJob(flared(), claims[0]["id"])["state"], "processing");
}

}  // namespace
}  // namespace flare::testing

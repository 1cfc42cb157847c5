// What a worker is handed (seed 000's poll and ack answers), written as text: byte for byte
// the dump of the same answer built as a json object, whatever the strings, payloads and
// tags hold, with or without the next jobs.

#include "daemon/api/worker_views.h"

#include <gtest/gtest.h>

#include "daemon/service/views.h"

namespace flare::daemon {
namespace {

using nlohmann::json;

std::string Dumped(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

ClaimedRun ClaimWith(const std::string& suffix, json payload, json tags, OptTime lease_expires_at) {
  ClaimedRun claim;
  claim.job_id = "job_" + suffix;
  claim.run_id = "run_" + suffix;
  claim.lease_id = "lease_" + suffix;
  claim.job_type = "email.send \"quoted\" \\ tab\t nl\n ctl\x01 é 日本";
  claim.queue = "queue/" + suffix;
  claim.payload = StoredJson::Of(std::move(payload));
  claim.tags = StoredJson::Of(std::move(tags));
  claim.attempt = 2;
  claim.max_attempts = 25;
  claim.timeout_seconds = 1800;
  claim.lease_expires_at = lease_expires_at;
  return claim;
}

// The answer's object as seed 000 names its members.
json ClaimObject(const ClaimedRun& claim) {
  return {{"id", claim.job_id},
          {"run_id", claim.run_id},
          {"lease_id", claim.lease_id},
          {"job_type", claim.job_type},
          {"queue", claim.queue},
          {"payload", claim.payload.value()},
          {"attempt", claim.attempt},
          {"max_attempts", claim.max_attempts},
          {"timeout_seconds", claim.timeout_seconds},
          {"tags", claim.tags.value()},
          {"lease_expires_at", TimeOrNull(claim.lease_expires_at)}};
}

json ClaimObjects(const ClaimedRuns& claims) {
  json jobs = json::array();
  for (const ClaimedRun& claim : claims) jobs.push_back(ClaimObject(claim));
  return jobs;
}

ClaimedRuns AwkwardClaims() {
  const TimePoint lease = TimePoint{} + std::chrono::milliseconds(1'780'000'123'456);
  ClaimedRuns claims;
  claims.push_back(ClaimWith("a",
                             {{"to", "a@example.com"},
                              {"nested", {{"list", {1, 2.5, -3, true, nullptr, "\u2028"}}}},
                              {"empty", json::object()}},
                             {"x", "y \"z\""}, lease));
  claims.push_back(ClaimWith("b", json(nullptr), json(nullptr), std::nullopt));
  claims.push_back(ClaimWith("c", "just a string", json::array(), lease));
  return claims;
}

TEST(WorkerViewsTest, APollAnswerIsTheDumpOfItsObject) {
  ClaimedRuns claims = AwkwardClaims();
  EXPECT_EQ(PollAnswerText(claims), Dumped(json{{"jobs", ClaimObjects(claims)}}));
  EXPECT_EQ(PollAnswerText({}), R"({"jobs":[]})");
}

TEST(WorkerViewsTest, AnAckAnswerIsTheDumpOfItsObjectWithOrWithoutTheNextJobs) {
  AckReply reply;
  reply.outcome = {"job_1", "run_1", RunState::kSucceeded, 3};
  json expected = {
      {"job_id", "job_1"}, {"run_id", "run_1"}, {"state", "succeeded"}, {"children_activated", 3}};
  EXPECT_EQ(AckReplyText(reply), Dumped(expected));

  reply.next = AwkwardClaims();
  expected["jobs"] = ClaimObjects(*reply.next);
  EXPECT_EQ(AckReplyText(reply), Dumped(expected));

  reply.next = ClaimedRuns{};
  expected["jobs"] = json::array();
  EXPECT_EQ(AckReplyText(reply), Dumped(expected)) << "asked for the next and got none";
}

TEST(WorkerViewsTest, AListAckAnswerIsTheDumpOfItsObjectWithOrWithoutTheNextJobs) {
  AckListReply reply;
  const Error not_held(ErrorCode::kNotFound, "no job \"job_2\" is held", "job_id");
  reply.outcomes.emplace_back(AckOutcome{"job_1", "run_1", RunState::kFailed, 0});
  reply.outcomes.emplace_back(not_held);
  json expected = AckListView(reply.outcomes);
  ASSERT_EQ(expected["results"].size(), 2u);
  EXPECT_EQ(AckListReplyText(reply), Dumped(expected));

  reply.next = AwkwardClaims();
  expected["jobs"] = ClaimObjects(*reply.next);
  EXPECT_EQ(AckListReplyText(reply), Dumped(expected));
}

}  // namespace
}  // namespace flare::daemon

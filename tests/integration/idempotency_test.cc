// Idempotent creates (seed 004, SPEC §7): the Idempotency-Key header and the legacy body
// field replay the original 201 for the same body and refuse another body with 409.

#include <latch>
#include <set>
#include <thread>

#include "tests/integration/itest.h"

namespace flare::testing {
namespace {

class Idempotency : public FlaredSuite {};

HttpReply CreateWithHeader(const json& body, const std::string& key) {
  return FlaredSuite::flared().Call("POST", "/flare/v1/jobs", body, "\x01",
                                    {{"Idempotency-Key", key}});
}

size_t JobsInQueue(const std::string& queue) {
  HttpReply reply = FlaredSuite::flared().Call("GET", "/flare/v1/jobs?limit=100&queue=" + queue);
  EXPECT_EQ(reply.status, 200) << reply.body;
  return reply.json()["data"].size();
}

TEST_F(Idempotency, HeaderReplaysTheOriginal201ForTheSameBody) {
  std::string queue = Unique("q");
  std::string key = Unique("welcome-email-user");
  json body = JobBody(queue, {{"payload", {{"user", 42}}}});
  HttpReply first = CreateWithHeader(body, key);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_NE(first.header("Idempotent-Replay"), "true");

  HttpReply second = CreateWithHeader(body, key);
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(second.header("Idempotent-Replay"), "true");
  EXPECT_EQ(second.json()["id"], first.json()["id"]);
  EXPECT_EQ(second.json(), first.json()) << "the replay must be the original answer verbatim";
  EXPECT_EQ(second.header("Location"), first.header("Location"));
  EXPECT_EQ(JobsInQueue(queue), 1u);

  // Even after the job moved on, the replay is the original 201.
  json claims = Poll(flared(), "w-idem", queue);
  ASSERT_EQ(claims.size(), 1u);
  HttpReply third = CreateWithHeader(body, key);
  EXPECT_EQ(third.status, 201);
  EXPECT_EQ(third.json(), first.json());
  EXPECT_EQ(JobsInQueue(queue), 1u);
}

TEST_F(Idempotency, HeaderWithAnotherBodyIs409) {
  std::string queue = Unique("q");
  std::string key = Unique("key");
  ASSERT_EQ(CreateWithHeader(JobBody(queue, {{"payload", {{"v", 1}}}}), key).status, 201);
  HttpReply reuse = CreateWithHeader(JobBody(queue, {{"payload", {{"v", 2}}}}), key);
  EXPECT_TRUE(IsError(reuse, 409, "idempotency_key_reuse"));
  EXPECT_NE(reuse.header("Idempotent-Replay"), "true");
  EXPECT_EQ(JobsInQueue(queue), 1u);
  // Another key with the same body is another job.
  EXPECT_EQ(CreateWithHeader(JobBody(queue, {{"payload", {{"v", 1}}}}), Unique("key")).status, 201);
  EXPECT_EQ(JobsInQueue(queue), 2u);
}

TEST_F(Idempotency, BodyFieldReplaysAndRefusesLikeTheHeader) {
  std::string queue = Unique("q");
  json body = JobBody(queue, {{"idempotency_key", Unique("legacy")}});
  HttpReply first = flared().Call("POST", "/flare/v1/jobs", body);
  ASSERT_EQ(first.status, 201) << first.body;
  HttpReply second = flared().Call("POST", "/flare/v1/jobs", body);
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(second.header("Idempotent-Replay"), "true");
  EXPECT_EQ(second.json()["id"], first.json()["id"]);
  json changed = body;
  changed["max_attempts"] = 9;
  EXPECT_TRUE(
      IsError(flared().Call("POST", "/flare/v1/jobs", changed), 409, "idempotency_key_reuse"));
  EXPECT_EQ(JobsInQueue(queue), 1u);
}

TEST_F(Idempotency, ConcurrentIdenticalRequestsCreateOneJob) {
  std::string queue = Unique("q");
  for (const bool use_header : {true, false}) {
    std::string key = Unique("race");
    json body = JobBody(queue, use_header ? json::object() : json{{"idempotency_key", key}});
    constexpr int kThreads = 8;
    std::vector<HttpReply> replies(kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        replies[i] = use_header ? CreateWithHeader(body, key)
                                : FlaredSuite::flared().Call("POST", "/flare/v1/jobs", body);
      });
    }
    for (auto& thread : threads) thread.join();
    std::set<std::string> ids;
    int originals = 0;
    for (const auto& reply : replies) {
      EXPECT_EQ(reply.status, 201) << reply.body;
      ids.insert(reply.json().value("id", ""));
      if (reply.header("Idempotent-Replay") != "true") ++originals;
    }
    EXPECT_EQ(ids.size(), 1u) << (use_header ? "header" : "body field");
    EXPECT_EQ(originals, 1) << "exactly one answer is the original";
  }
  EXPECT_EQ(JobsInQueue(queue), 2u);
}

TEST_F(Idempotency, KeyLongerThan200IsRejected) {
  HttpReply reply = CreateWithHeader(JobBody(Unique("q")), std::string(201, 'k'));
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(reply.json()["error"]["code"], "invalid_request");
}

}  // namespace
}  // namespace flare::testing

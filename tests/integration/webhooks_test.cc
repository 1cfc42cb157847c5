// Webhooks end to end against a real flared (SPEC §7 and the paragraph after its table):
// every job event type delivered with a Standard Webhooks signature that an independent
// receiver verifies, retries and 3xx, 410, Retry-After, rotation overlap, a hanging
// endpoint beside a healthy one, and kill -9 in the middle of a delivery.
//
// flared runs with short hidden timings (--webhook-timeout-ms, --webhook-retry-base-ms) so
// nothing here waits for a real 10 s timeout or 5 s backoff.

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "common/encoding.h"
#include "daemon/store/pg/connection.h"
#include "tests/integration/itest.h"
#include "tests/integration/webhook_receiver.h"

namespace flare::testing {
namespace {

// Everything flared stored, where a secret kept in the clear would show: the SQLite files'
// bytes, or every webhook row as PostgreSQL prints it (BYTEA as hex).
std::string StoredWebhookBytes(const FlaredProcess& flared) {
  if (TestingOnPostgres()) {
    daemon::pg::Connection db(flared.database_uri());
    daemon::pg::PgResult rows = db.Exec("SELECT w::text FROM webhooks w");
    std::string text;
    for (int i = 0; i < rows.rows(); ++i) text += rows.Text(i, 0);
    return text;
  }
  std::string bytes;
  for (const char* file : {"flare.db", "flare.db-wal"}) {
    std::ifstream in(flared.data_dir() / file, std::ios::binary);
    std::stringstream all;
    all << in.rdbuf();
    bytes += all.str();
  }
  return bytes;
}

const std::vector<std::string> kFlags = {"--allow-private-targets", "--webhook-timeout-ms", "2000",
                                         "--webhook-retry-base-ms", "100"};

class Webhooks : public ::testing::Test {
 public:
  static void SetUpTestSuite() { shared_ = std::make_unique<FlaredProcess>(kFlags); }
  static void TearDownTestSuite() {
    ExpectCleanShutdown(*shared_);
    shared_.reset();
  }
  static FlaredProcess& flared() { return *shared_; }

 protected:
  void SetUp() override { queue_ = Unique("wh"); }
  void TearDown() override {
    // Endpoints of one test must not receive the next test's events.
    for (const auto& id : created_) flared().Call("DELETE", "/flare/v1/webhooks/" + id);
  }

  json CreateWebhook(const std::string& url, const json& events = {"*"}) {
    HttpReply reply =
        flared().Call("POST", "/flare/v1/webhooks", {{"url", url}, {"events", events}});
    EXPECT_EQ(reply.status, 201) << reply.body;
    json webhook = reply.json();
    if (webhook.contains("id")) created_.push_back(webhook["id"]);
    return webhook;
  }
  json Deliveries(const std::string& webhook_id) {
    HttpReply reply = flared().Call("GET", "/flare/v1/webhooks/" + webhook_id + "/deliveries");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.json()["data"];
  }
  // A worker job claimed and acked with `status` (and `extra`); returns the job.
  json FinishJob(const std::string& status, const json& extra = json::object(),
                 const json& job_extra = json::object()) {
    json job = CreateJob(flared(), JobBody(queue_, job_extra));
    json claims = Poll(flared(), "w-hook", queue_);
    EXPECT_EQ(claims.size(), 1u);
    if (claims.empty()) return job;
    EXPECT_EQ(Ack(flared(), claims[0], "w-hook", status, extra).status, 200);
    return job;
  }

  std::string queue_;
  std::vector<std::string> created_;
  WebhookReceiver receiver_;

 private:
  static inline std::unique_ptr<FlaredProcess> shared_;
};

json BodyOf(const ReceivedDelivery& delivery) { return json::parse(delivery.body); }

// The deliveries of `type` about `job_id` among `received`.
std::vector<ReceivedDelivery> About(const std::vector<ReceivedDelivery>& received,
                                    const std::string& type, const std::string& job_id) {
  std::vector<ReceivedDelivery> out;
  for (const auto& d : received) {
    json body = BodyOf(d);
    if (body["type"] == type && body["data"]["id"] == job_id) out.push_back(d);
  }
  return out;
}

TEST_F(Webhooks, CreateShowsTheSecretOnceAndReadsNeverDo) {
  json webhook = CreateWebhook(receiver_.Url("/once"), {"job.completed", "job.failed"});
  EXPECT_TRUE(IsPrefixedId(webhook["id"], "wh"));
  EXPECT_EQ(webhook["secret"].get<std::string>().rfind("whsec_", 0), 0u);
  EXPECT_EQ(webhook["events"], json({"job.completed", "job.failed"}));
  EXPECT_EQ(webhook["enabled"], true);
  HttpReply got = flared().Call("GET", "/flare/v1/webhooks/" + webhook["id"].get<std::string>());
  ASSERT_EQ(got.status, 200);
  EXPECT_FALSE(got.json().contains("secret"));
  HttpReply list = flared().Call("GET", "/flare/v1/webhooks?limit=100");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(webhook["secret"].get<std::string>()), std::string::npos);
  EXPECT_TRUE(list.json().contains("has_more"));
  EXPECT_TRUE(list.json().contains("next_cursor"));
}

TEST_F(Webhooks, ListPagesNewestFirstWithACursor) {
  json older = CreateWebhook(receiver_.Url("/page-1"));
  json newer = CreateWebhook(receiver_.Url("/page-2"));
  HttpReply first = flared().Call("GET", "/flare/v1/webhooks?limit=1");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.json()["data"][0]["id"], newer["id"]);
  EXPECT_EQ(first.json()["has_more"], true);
  std::string cursor = first.json()["next_cursor"];
  HttpReply second = flared().Call("GET", "/flare/v1/webhooks?limit=1&cursor=" + cursor);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.json()["data"][0]["id"], older["id"]);
  EXPECT_TRUE(IsError(flared().Call("GET", "/flare/v1/webhooks?limit=0"), 400, "invalid_request"));
}

TEST_F(Webhooks, BadInputIsA400NamingTheFieldAndAMissingIdA404) {
  auto post = [&](const json& body) { return flared().Call("POST", "/flare/v1/webhooks", body); };
  EXPECT_TRUE(
      IsError(post({{"url", "ftp://x"}, {"events", {"*"}}}), 400, "invalid_request", "url"));
  EXPECT_TRUE(
      IsError(post({{"url", "/relative"}, {"events", {"*"}}}), 400, "invalid_request", "url"));
  EXPECT_TRUE(IsError(post({{"url", receiver_.Url("/x")}, {"events", {"job.exploded"}}}), 400,
                      "invalid_request", "events"));
  EXPECT_TRUE(IsError(post({{"url", receiver_.Url("/x")}, {"events", json::array()}}), 400,
                      "invalid_request", "events"));
  EXPECT_TRUE(IsError(post({{"url", receiver_.Url("/x")}, {"events", {"*"}}, {"secret", "x"}}), 400,
                      "invalid_request", "secret"));
  std::string missing = "/flare/v1/webhooks/wh_01HYX3K7M8N9P2Q4R5S6T7U8V9";
  EXPECT_TRUE(IsError(flared().Call("GET", missing), 404, "not_found"));
  EXPECT_TRUE(IsError(flared().Call("PATCH", missing, {{"enabled", false}}), 404, "not_found"));
  EXPECT_TRUE(IsError(flared().Call("DELETE", missing), 404, "not_found"));
  EXPECT_TRUE(IsError(flared().Call("POST", missing + "/test"), 404, "not_found"));
  EXPECT_TRUE(IsError(flared().Call("POST", missing + "/rotate-secret"), 404, "not_found"));
  EXPECT_TRUE(IsError(flared().Call("GET", missing + "/deliveries"), 404, "not_found"));
  json webhook = CreateWebhook(receiver_.Url("/x"));
  std::string path = "/flare/v1/webhooks/" + webhook["id"].get<std::string>();
  EXPECT_TRUE(
      IsError(flared().Call("PATCH", path, {{"colour", "red"}}), 400, "invalid_request", "colour"));
  EXPECT_TRUE(IsError(flared().Call("POST", path + "/rotate-secret", {{"overlap_seconds", -1}}),
                      400, "invalid_request", "overlap_seconds"));
}

TEST_F(Webhooks, JobEventsArriveSignedWithTheJobAndRun) {
  json webhook = CreateWebhook(receiver_.Url("/events"));
  std::string secret = webhook["secret"];
  json completed = FinishJob("succeeded");
  json failed = FinishJob(
      "failed", {{"error", {{"type", "E"}, {"message", "m"}}}},
      {{"max_attempts", 3}, {"retry", {{"strategy", "fixed"}, {"initial_delay_seconds", 300}}}});
  json dead = FinishJob("failed", {{"retryable", false}});
  json cancelled = CreateJob(flared(), JobBody(queue_, {{"run_at", "2099-01-01T00:00:00Z"}}));
  ASSERT_EQ(flared()
                .Call("POST", "/flare/v1/jobs/" + cancelled["id"].get<std::string>() + "/cancel")
                .status,
            200);
  // 3 run.started + job.completed + job.failed + job.dead_letter + job.cancelled.
  ASSERT_TRUE(receiver_.WaitForCount("/events", 7)) << receiver_.Received("/events").size();
  auto received = receiver_.Received("/events");
  for (const auto& d : received) {
    EXPECT_EQ(MatchingSignatures(d, secret), 1) << d.signature;
    EXPECT_TRUE(IsPrefixedId(d.id, "whd"));
    EXPECT_EQ(d.content_type, "application/json");
    EXPECT_EQ(d.user_agent.rfind("flared/", 0), 0u);
    json body = BodyOf(d);
    EXPECT_TRUE(IsUtcMillis(body["created_at"])) << d.body;
    EXPECT_EQ(body.size(), 3u) << "{type, created_at, data}: " << d.body;
  }
  auto one = [&](const std::string& type, const json& job) {
    auto found = About(received, type, job["id"]);
    EXPECT_EQ(found.size(), 1u) << type;
    return found.empty() ? json() : BodyOf(found[0])["data"];
  };
  json data = one("job.completed", completed);
  EXPECT_EQ(data["state"], "succeeded");
  EXPECT_EQ(data["run"]["state"], "succeeded");
  EXPECT_EQ(data["run"]["job_id"], completed["id"]);
  data = one("job.failed", failed);
  EXPECT_EQ(data["state"], "failed");
  EXPECT_TRUE(data["next_retry_at"].is_string());
  EXPECT_EQ(data["error"]["message"], "m");
  EXPECT_EQ(one("job.dead_letter", dead)["state"], "dead_letter");
  EXPECT_EQ(one("job.cancelled", cancelled)["state"], "cancelled");
  EXPECT_EQ(one("run.started", completed)["run"]["state"], "processing");
  ASSERT_TRUE(WaitFor([&] {
    json list = Deliveries(webhook["id"]);
    return list.size() == 7 && std::all_of(list.begin(), list.end(), [](const json& d) {
             return d["status"] == "succeeded" && d["response_code"] == 200 && d["attempts"] == 1 &&
                    d["latency_ms"].is_number();
           });
  })) << Deliveries(webhook["id"]).dump();
}

TEST_F(Webhooks, OnlySubscribedTypesAreSent) {
  CreateWebhook(receiver_.Url("/completed-only"), {"job.completed"});
  json done = FinishJob("succeeded");
  ASSERT_TRUE(receiver_.WaitForCount("/completed-only", 1));
  CreateWebhook(receiver_.Url("/marker"), {"job.completed"});
  FinishJob("succeeded");  // by the time /marker has it, a stray run.started would be there too
  ASSERT_TRUE(receiver_.WaitForCount("/marker", 1));
  ASSERT_TRUE(receiver_.WaitForCount("/completed-only", 2));
  for (const auto& d : receiver_.Received("/completed-only"))
    EXPECT_EQ(BodyOf(d)["type"], "job.completed");
}

TEST_F(Webhooks, A500IsRetriedWithTheSameIdUntilItSucceeds) {
  receiver_.Script("/flaky", {{500, ""}, {503, ""}, {200, ""}});
  json webhook = CreateWebhook(receiver_.Url("/flaky"), {"job.completed"});
  FinishJob("succeeded");
  ASSERT_TRUE(receiver_.WaitForCount("/flaky", 3));
  auto received = receiver_.Received("/flaky");
  EXPECT_EQ(received[0].id, received[1].id);
  EXPECT_EQ(received[1].id, received[2].id);
  for (const auto& d : received) EXPECT_EQ(MatchingSignatures(d, webhook["secret"]), 1);
  ASSERT_TRUE(WaitFor([&] {
    json list = Deliveries(webhook["id"]);
    return list.size() == 1 && list[0]["status"] == "succeeded";
  }));
  json delivery = Deliveries(webhook["id"])[0];
  EXPECT_EQ(delivery["attempts"], 3);
  EXPECT_EQ(delivery["response_code"], 200);
}

TEST_F(Webhooks, ARedirectCountsAsAFailure) {
  receiver_.Script("/moved", {{302, ""}});
  json webhook = CreateWebhook(receiver_.Url("/moved"), {"job.completed"});
  FinishJob("succeeded");
  ASSERT_TRUE(WaitFor([&] {
    json list = Deliveries(webhook["id"]);
    return list.size() == 1 && list[0]["attempts"].get<int>() >= 1;
  }));
  json first = Deliveries(webhook["id"])[0];
  if (first["status"] == "pending") {
    EXPECT_EQ(first["response_code"], 302);
    EXPECT_NE(first["last_error"].get<std::string>().find("302"), std::string::npos);
  }
  ASSERT_TRUE(receiver_.WaitForCount("/moved", 2)) << "a 3xx is retried";
}

TEST_F(Webhooks, A410DisablesTheEndpointAndSaysWhy) {
  receiver_.Script("/gone", {{410, ""}});
  json webhook = CreateWebhook(receiver_.Url("/gone"), {"job.completed"});
  std::string path = "/flare/v1/webhooks/" + webhook["id"].get<std::string>();
  FinishJob("succeeded");
  ASSERT_TRUE(WaitFor([&] { return flared().Call("GET", path).json()["enabled"] == false; }));
  json disabled = flared().Call("GET", path).json();
  EXPECT_NE(disabled["disabled_reason"].get<std::string>().find("410"), std::string::npos);
  EXPECT_EQ(Deliveries(webhook["id"])[0]["status"], "failed");
  FinishJob("succeeded");
  CreateWebhook(receiver_.Url("/after-gone"), {"job.completed"});
  FinishJob("succeeded");
  ASSERT_TRUE(receiver_.WaitForCount("/after-gone", 1));
  EXPECT_EQ(receiver_.Received("/gone").size(), 1u) << "a disabled endpoint gets nothing";
  // Enabling it again clears the reason.
  json enabled = flared().Call("PATCH", path, {{"enabled", true}}).json();
  EXPECT_EQ(enabled["enabled"], true);
  EXPECT_TRUE(enabled["disabled_reason"].is_null());
}

TEST_F(Webhooks, RetryAfterOn429IsHonoured) {
  receiver_.Script("/busy", {{429, "2"}});
  CreateWebhook(receiver_.Url("/busy"), {"job.completed"});
  FinishJob("succeeded");
  ASSERT_TRUE(receiver_.WaitForCount("/busy", 2, seconds(10)));
  auto received = receiver_.Received("/busy");
  // The backoff alone would retry after ~100 ms.
  EXPECT_GE(MillisBetween(received[0].at, received[1].at), 1900.0);
}

TEST_F(Webhooks, RotationSignsWithBothSecretsUntilTheOverlapEnds) {
  json webhook = CreateWebhook(receiver_.Url("/rotate"));
  std::string path = "/flare/v1/webhooks/" + webhook["id"].get<std::string>();
  std::string old_secret = webhook["secret"];
  HttpReply rotated = flared().Call("POST", path + "/rotate-secret", {{"overlap_seconds", 2}});
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  std::string new_secret = rotated.json()["secret"];
  EXPECT_NE(new_secret, old_secret);
  EXPECT_TRUE(IsUtcMillis(rotated.json()["previous_secret_expires_at"]));
  EXPECT_FALSE(flared().Call("GET", path).json().contains("secret"));

  HttpReply test = flared().Call("POST", path + "/test");
  ASSERT_EQ(test.status, 200) << test.body;
  EXPECT_EQ(test.json()["status"], "succeeded");
  EXPECT_EQ(test.json()["response_code"], 200);
  EXPECT_EQ(test.json()["event_type"], "webhook.test");
  ASSERT_TRUE(receiver_.WaitForCount("/rotate", 1));
  ReceivedDelivery during = receiver_.Received("/rotate")[0];
  EXPECT_EQ(SignatureCount(during), 2);
  EXPECT_EQ(MatchingSignatures(during, old_secret), 1);
  EXPECT_EQ(MatchingSignatures(during, new_secret), 1);

  auto expires = Clock::now() + milliseconds(2100);
  ASSERT_TRUE(WaitFor([&] { return Clock::now() >= expires; }, seconds(3)));  // overlap over
  ASSERT_EQ(flared().Call("POST", path + "/test").status, 200);
  ASSERT_TRUE(receiver_.WaitForCount("/rotate", 2));
  ReceivedDelivery after = receiver_.Received("/rotate")[1];
  EXPECT_EQ(SignatureCount(after), 1);
  EXPECT_EQ(MatchingSignatures(after, new_secret), 1);
  EXPECT_EQ(MatchingSignatures(after, old_secret), 0);
}

TEST_F(Webhooks, AHangingEndpointDoesNotDelayAnother) {
  receiver_.Hold("/hang");
  CreateWebhook(receiver_.Url("/hang"), {"job.completed"});
  CreateWebhook(receiver_.Url("/healthy"), {"job.completed"});
  for (int i = 0; i < 12; ++i) FinishJob("succeeded");  // more than the hanging one may hold
  auto started = Clock::now();
  ASSERT_TRUE(receiver_.WaitForCount("/healthy", 12, seconds(5)));
  // Well inside the 2 s attempt timeout the hanging calls are stuck in.
  EXPECT_LT(MillisBetween(started, Clock::now()), 1500.0);
  EXPECT_LE(receiver_.Received("/hang").size(), 8u) << "at most 8 calls in flight per endpoint";
  receiver_.Release("/hang");
}

TEST_F(Webhooks, TheSecretIsNotInTheDatabaseAndTheKeyFileIsPrivate) {
  json webhook = CreateWebhook(receiver_.Url("/x"));
  std::string secret = webhook["secret"];
  HttpReply rotated = flared().Call(
      "POST", "/flare/v1/webhooks/" + webhook["id"].get<std::string>() + "/rotate-secret");
  std::string rotated_secret = rotated.json()["secret"];
  std::string bytes = StoredWebhookBytes(flared());
  ASSERT_FALSE(bytes.empty());
  for (const std::string& s : {secret, rotated_secret}) {
    EXPECT_EQ(bytes.find(s.substr(6)), std::string::npos) << "the secret is stored as text";
    std::string raw = Base64Decode(s.substr(6)).value_or("");
    ASSERT_FALSE(raw.empty());
    EXPECT_EQ(bytes.find(raw), std::string::npos) << "the secret is stored as its bytes";
    EXPECT_EQ(bytes.find(HexEncode(raw)), std::string::npos) << "the secret is stored in hex";
  }
  struct stat st {};
  ASSERT_EQ(::stat((flared().data_dir() / "webhook.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  EXPECT_EQ(flared().Log().find(secret.substr(6)), std::string::npos) << "never logged";
}

TEST(WebhooksKill9, ADeliveryInFlightAtKillIsSentAgainWithTheSameId) {
  WebhookReceiver receiver;
  FlaredProcess flared(kFlags);
  std::string queue = Unique("wh-kill");
  receiver.Hold("/held");
  HttpReply created = flared.Call("POST", "/flare/v1/webhooks",
                                  {{"url", receiver.Url("/held")}, {"events", {"job.completed"}}});
  ASSERT_EQ(created.status, 201);
  std::string secret = created.json()["secret"];
  CreateJob(flared, JobBody(queue));
  json claims = Poll(flared, "w-kill", queue);
  ASSERT_EQ(claims.size(), 1u);
  ASSERT_EQ(Ack(flared, claims[0], "w-kill", "succeeded").status, 200);
  ASSERT_TRUE(receiver.WaitForCount("/held", 1)) << "the delivery is in flight";
  flared.Kill9();
  receiver.Release("/held");  // its answer reaches nobody
  flared.Restart();
  ASSERT_TRUE(receiver.WaitForCount("/held", 2, seconds(10))) << "sent again after the restart";
  auto received = receiver.Received("/held");
  EXPECT_EQ(received[0].id, received[1].id) << "at least once, with the same webhook-id";
  EXPECT_EQ(received[0].body, received[1].body);
  EXPECT_EQ(MatchingSignatures(received[1], secret), 1);
  std::string id = created.json()["id"];
  ASSERT_TRUE(WaitFor([&] {
    json list = flared.Call("GET", "/flare/v1/webhooks/" + id + "/deliveries").json()["data"];
    return list.size() == 1 && list[0]["status"] == "succeeded";
  }));
  ExpectCleanShutdown(flared);
}

}  // namespace
}  // namespace flare::testing

#include "daemon/transport/http_transport.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "daemon/transport/http_json.h"
#include "daemon/transport/retry_after.h"
#include "flare/version.h"
#include "tests/testutil/hostile_server.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_http_server.h"
#include "tests/testutil/test_tls.h"

namespace flare::daemon {
namespace {

using std::chrono::milliseconds;
using testing::TestHttpServer;

EgressPolicy OpenPolicy() {
  EgressPolicy policy;
  policy.allow_private = true;
  return policy;
}

HttpCallSpec Get(const std::string& url) {
  HttpCallSpec spec;
  spec.method = "GET";
  spec.url = url;
  spec.timeout = milliseconds(5000);
  return spec;
}

HttpCallOutcome Call(HttpTransport& transport, const HttpCallSpec& spec) {
  return PerformAndWait(transport, spec);
}

// Starts a call whose outcome a test collects later (for cancels).
class PendingCall {
 public:
  PendingCall(HttpTransport& transport, HttpTransport::CallId id, HttpCallSpec spec) {
    transport.Start(id, std::move(spec),
                    [this](HttpCallOutcome outcome) { promise_.set_value(std::move(outcome)); });
  }
  HttpCallOutcome Wait() { return future_.get(); }

 private:
  std::promise<HttpCallOutcome> promise_;
  std::future<HttpCallOutcome> future_ = promise_.get_future();
};

class HttpTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  TestHttpServer server_;
  std::unique_ptr<HttpTransport> transport_ = MakeCurlTransport(OpenPolicy());
};

TEST_F(HttpTransportTest, RecordsStatusHeadersBodyAndTrace) {
  HttpCallOutcome outcome = Call(*transport_, Get(server_.Url("/status/201")));
  EXPECT_EQ(outcome.failure, FailureReason::kNone) << outcome.error_message;
  EXPECT_EQ(outcome.status, 201);
  EXPECT_EQ(outcome.body, "status 201");
  EXPECT_EQ(outcome.body_bytes, 10);
  EXPECT_FALSE(outcome.body_truncated);
  EXPECT_EQ(outcome.final_url, server_.Url("/status/201"));
  nlohmann::json result = ResultJson(outcome);
  EXPECT_EQ(result["status"], 201);
  EXPECT_EQ(result["headers"]["Content-Type"], "text/plain");
  EXPECT_EQ(result["body"], "status 201");
  EXPECT_EQ(result["body_truncated"], false);
  nlohmann::json trace = TraceJson(outcome.trace);
  for (const char* key : {"queue_wait_ms", "connect_ms", "ttfb_ms", "transfer_ms", "total_ms"}) {
    EXPECT_GE(trace[key].get<int64_t>(), 0) << key;
  }
  EXPECT_GE(outcome.trace.total_ms, outcome.trace.ttfb_ms);
}

TEST_F(HttpTransportTest, SendsMethodHeadersAndBody) {
  HttpCallSpec spec = Get(server_.Url("/echo"));
  spec.method = "PUT";
  spec.headers = {{"Authorization", "Bearer s3cret"}, {"X-Thing", "1"}};
  spec.body = R"({"a":1})";
  HttpCallOutcome outcome = Call(*transport_, spec);
  ASSERT_EQ(outcome.status, 200) << outcome.error_message;
  nlohmann::json echo = nlohmann::json::parse(outcome.body);
  EXPECT_EQ(echo["method"], "PUT");
  EXPECT_EQ(echo["body"], R"({"a":1})");
  EXPECT_EQ(echo["headers"]["Authorization"], "Bearer s3cret");
  EXPECT_EQ(echo["headers"]["Host"], "127.0.0.1:" + std::to_string(server_.port()));
}

TEST(HttpJson, RedactsRequestHeaderValues) {
  HttpCallSpec spec = Get("https://example.com/hook");
  spec.method = "POST";
  spec.headers = {{"Authorization", "Bearer s3cret"}};
  spec.body = "12345";
  nlohmann::json request = RedactedRequest(spec);
  EXPECT_EQ(request, nlohmann::json::parse(R"({"method":"POST","url":"https://example.com/hook",
      "headers":[{"name":"Authorization","value":"***"}],"body_bytes":5})"));
  EXPECT_EQ(request.dump().find("s3cret"), std::string::npos);
}

TEST(HttpJson, JoinsRepeatedHeadersAndReplacesInvalidUtf8) {
  HttpCallOutcome outcome;
  outcome.status = 200;
  outcome.headers = {{"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}};
  outcome.body = "ok\xff";
  nlohmann::json result = ResultJson(outcome);
  EXPECT_EQ(result["headers"]["Set-Cookie"], "a=1, b=2");
  EXPECT_EQ(result["body"], "ok\xEF\xBF\xBD");
}

TEST_F(HttpTransportTest, KeepsFirst64KiBAndCountsAll) {
  HttpCallOutcome outcome = Call(*transport_, Get(server_.Url("/bytes/100000")));
  EXPECT_EQ(outcome.failure, FailureReason::kNone) << outcome.error_message;
  EXPECT_EQ(outcome.body.size(), 65536u);
  EXPECT_TRUE(outcome.body_truncated);
  EXPECT_EQ(outcome.body_bytes, 100000);
}

TEST_F(HttpTransportTest, StopsReadingAtTenMiB) {
  HttpCallOutcome outcome = Call(*transport_, Get(server_.Url("/bytes/12000000")));
  EXPECT_EQ(outcome.failure, FailureReason::kNone) << outcome.error_message;
  EXPECT_EQ(outcome.status, 200);
  EXPECT_TRUE(outcome.body_truncated);
  EXPECT_GE(outcome.body_bytes, 10 * 1024 * 1024);
  EXPECT_LT(outcome.body_bytes, 12000000);
}

TEST_F(HttpTransportTest, SlowResponseTimesOut) {
  HttpCallSpec spec = Get(server_.Url("/delay/3000"));
  spec.timeout = milliseconds(200);
  HttpCallOutcome outcome = Call(*transport_, spec);
  EXPECT_EQ(outcome.failure, FailureReason::kTimeout) << outcome.error_message;
  EXPECT_LT(outcome.trace.total_ms, 1500);
}

TEST_F(HttpTransportTest, DrippingBodyTimesOutAtTheDeadline) {
  HttpCallSpec spec = Get(server_.Url("/drip"));
  spec.timeout = milliseconds(300);
  HttpCallOutcome outcome = Call(*transport_, spec);
  EXPECT_EQ(outcome.failure, FailureReason::kTimeout) << outcome.error_message;
  EXPECT_EQ(outcome.status, 200);
  EXPECT_LT(outcome.trace.total_ms, 1500);
}

TEST_F(HttpTransportTest, ClosedPortIsConnectionError) {
  HttpCallOutcome outcome =
      Call(*transport_, Get("http://127.0.0.1:" + std::to_string(testing::ClosedPort()) + "/"));
  EXPECT_EQ(outcome.failure, FailureReason::kConnectionError);
  EXPECT_NE(outcome.error_message.find("could not connect"), std::string::npos)
      << outcome.error_message;
}

TEST_F(HttpTransportTest, ResetConnectionIsConnectionError) {
  testing::ResettingServer resetting;
  HttpCallOutcome outcome =
      Call(*transport_, Get("http://127.0.0.1:" + std::to_string(resetting.port()) + "/"));
  EXPECT_EQ(outcome.failure, FailureReason::kConnectionError) << outcome.error_message;
}

TEST_F(HttpTransportTest, RejectsUrlsThatAreNotAbsoluteHttp) {
  for (const char* url : {"ftp://127.0.0.1/", "/relative", "http://user:pw@127.0.0.1/",
                          "http://127.0.0.1:99999/", "http:// spaced/"}) {
    HttpCallOutcome outcome = Call(*transport_, Get(url));
    EXPECT_EQ(outcome.failure, FailureReason::kConnectionError) << url;
  }
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(HttpTransportTest, ConnectsToTheCheckedAddressKeepingTheName) {
  std::string port = std::to_string(server_.port());
  auto transport = MakeCurlTransport(OpenPolicy(), {{"sink.test:" + port + ":127.0.0.1"}});
  HttpCallOutcome outcome = Call(*transport, Get("http://sink.test:" + port + "/echo"));
  ASSERT_EQ(outcome.status, 200) << outcome.error_message;
  EXPECT_EQ(nlohmann::json::parse(outcome.body)["headers"]["Host"], "sink.test:" + port);
}

TEST_F(HttpTransportTest, ReusesOneConnectionForSeveralCalls) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Call(*transport_, Get(server_.Url("/status/200"))).status, 200);
  }
  EXPECT_EQ(server_.requests(), 3);
  EXPECT_EQ(server_.connections(), 1);
  EXPECT_EQ(transport_->connections_opened(), 1);
}

TEST_F(HttpTransportTest, CarriesManyCallsAtOnce) {
  std::vector<std::unique_ptr<PendingCall>> calls;
  // As many as the sink serves at once (its pool has 8 threads).
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 8; ++i) {
    calls.push_back(
        std::make_unique<PendingCall>(*transport_, i + 1, Get(server_.Url("/delay/1000"))));
  }
  for (auto& call : calls) EXPECT_EQ(call->Wait().status, 200);
  // One after another they would take 8 s; the transport has a single thread.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_F(HttpTransportTest, CancelAbortsTheRequestInFlight) {
  PendingCall call(*transport_, 7, Get(server_.Url("/delay/4000")));
  ASSERT_TRUE(server_.WaitForRequests(1, milliseconds(3000)));
  transport_->Cancel(7);
  HttpCallOutcome outcome = call.Wait();
  EXPECT_EQ(outcome.failure, FailureReason::kCancelled) << outcome.error_message;
  EXPECT_LT(outcome.trace.total_ms, 2000);
}

TEST_F(HttpTransportTest, CancelEndsACallStuckInTheTlsHandshakeAtOnce) {
  testing::HostileServer silent(testing::HostileServer::Behaviour::kSilent);
  HttpCallSpec spec = Get(silent.Url("/", true));
  spec.timeout = milliseconds(30000);
  PendingCall call(*transport_, 8, spec);
  ASSERT_TRUE(silent.WaitForConnections(1, milliseconds(3000)));
  auto before = std::chrono::steady_clock::now();
  transport_->Cancel(8);  // returns at once: it only hands the request over
  EXPECT_LT(std::chrono::steady_clock::now() - before, milliseconds(50));
  HttpCallOutcome outcome = call.Wait();
  EXPECT_EQ(outcome.failure, FailureReason::kCancelled);
  EXPECT_LT(outcome.trace.total_ms, 2000);
}

TEST_F(HttpTransportTest, SendsUserAgentAndIdentityHeaders) {
  HttpCallSpec spec = Get(server_.Url("/echo"));
  spec.identity_headers = {{"Flare-Run-Id", "run_1"}, {"Flare-Attempt", "2"}};
  HttpCallOutcome outcome = Call(*transport_, spec);
  ASSERT_EQ(outcome.status, 200) << outcome.error_message;
  nlohmann::json headers = nlohmann::json::parse(outcome.body)["headers"];
  EXPECT_EQ(headers["User-Agent"], std::string("flared/") + kVersion);
  EXPECT_EQ(headers["Flare-Run-Id"], "run_1");
  EXPECT_EQ(headers["Flare-Attempt"], "2");
}

TEST_F(HttpTransportTest, ParsesRetryAfterOn429And503) {
  HttpCallOutcome limited = Call(*transport_, Get(server_.Url("/status/429?retry_after=120")));
  ASSERT_TRUE(limited.retry_after.has_value());
  EXPECT_EQ(*limited.retry_after, std::chrono::seconds(120));
  HttpCallOutcome plain = Call(*transport_, Get(server_.Url("/status/500?retry_after=120")));
  EXPECT_FALSE(plain.retry_after.has_value());
}

TEST(RetryAfter, ParsesSecondsAndHttpDates) {
  TimePoint now = *ParseTime("2026-03-18T15:30:00Z");
  EXPECT_EQ(ParseRetryAfter("30", now), std::chrono::seconds(30));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), std::chrono::seconds(0));
  EXPECT_EQ(ParseRetryAfter("Wed, 18 Mar 2026 15:31:30 GMT", now), std::chrono::seconds(90));
  EXPECT_EQ(ParseRetryAfter("Wed, 18 Mar 2026 15:00:00 GMT", now), std::chrono::seconds(0));
  EXPECT_EQ(ParseRetryAfter("Wednesday, 18-Mar-26 15:31:30 GMT", now), std::chrono::seconds(90));
  EXPECT_EQ(ParseRetryAfter("Wed Mar 18 15:31:30 2026", now), std::chrono::seconds(90));
  EXPECT_EQ(ParseRetryAfter("99999999999999999999", now), std::chrono::seconds(366 * 24 * 3600));
  for (const char* bad :
       {"", "-5", "soon", "Wed, 32 Mar 2026 15:31:30 GMT", "Wed, 18 Foo 2026 15:31:30 GMT"}) {
    EXPECT_FALSE(ParseRetryAfter(bad, now).has_value()) << bad;
  }
}

TEST_F(HttpTransportTest, DoesNotFollowRedirectsUnlessAsked) {
  HttpCallOutcome outcome = Call(*transport_, Get(server_.Url("/redirect/2")));
  EXPECT_EQ(outcome.failure, FailureReason::kNone);
  EXPECT_EQ(outcome.status, 302);
  EXPECT_EQ(outcome.redirects, 0);
}

TEST_F(HttpTransportTest, FollowsRedirectChainsUpToTheLimit) {
  HttpCallSpec spec = Get(server_.Url("/redirect/3"));
  spec.max_redirects = 5;
  HttpCallOutcome outcome = Call(*transport_, spec);
  EXPECT_EQ(outcome.status, 200) << outcome.error_message;
  EXPECT_EQ(outcome.body, "done");
  EXPECT_EQ(outcome.redirects, 3);
  EXPECT_EQ(outcome.final_url, server_.Url("/redirect/0"));
  spec.url = server_.Url("/redirect/9");
  spec.max_redirects = 50;  // clamped to 5
  HttpCallOutcome stopped = Call(*transport_, spec);
  EXPECT_EQ(stopped.status, 302);
  EXPECT_EQ(stopped.redirects, 5);
  EXPECT_EQ(stopped.error_message, "stopped after 5 redirects");
}

TEST_F(HttpTransportTest, SeeOtherTurnsIntoGet) {
  HttpCallSpec spec = Get(server_.Url("/to?code=303&url=/echo"));
  spec.method = "POST";
  spec.body = "payload";
  spec.max_redirects = 1;
  HttpCallOutcome outcome = Call(*transport_, spec);
  ASSERT_EQ(outcome.status, 200) << outcome.error_message;
  nlohmann::json echo = nlohmann::json::parse(outcome.body);
  EXPECT_EQ(echo["method"], "GET");
  EXPECT_EQ(echo["body"], "");
}

TEST_F(HttpTransportTest, RefusesLoopbackInEveryNotation) {
  auto guarded = MakeCurlTransport(EgressPolicy{});
  std::string port = ":" + std::to_string(server_.port());
  for (const char* host : {"127.0.0.1", "2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1",
                           "017700000001", "127.1", "127.0.1", "[::1]", "[::ffff:127.0.0.1]",
                           "[::ffff:7f00:1]", "[64:ff9b::7f00:1]", "0.0.0.0"}) {
    HttpCallOutcome outcome = Call(*guarded, Get("http://" + std::string(host) + port + "/"));
    EXPECT_EQ(outcome.failure, FailureReason::kSsrfBlocked) << host;
    EXPECT_NE(outcome.error_message.find("--allow-private-targets"), std::string::npos) << host;
  }
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(HttpTransportTest, RefusesNamesThatResolvePrivately) {
  std::string port = std::to_string(server_.port());
  auto guarded = MakeCurlTransport(EgressPolicy{}, {{"evil.test:" + port + ":127.0.0.1",
                                                     "mixed.test:80:169.254.169.254,10.1.2.3"}});
  HttpCallOutcome outcome = Call(*guarded, Get("http://evil.test:" + port + "/"));
  EXPECT_EQ(outcome.failure, FailureReason::kSsrfBlocked);
  EXPECT_NE(outcome.error_message.find("target evil.test (127.0.0.1) is a loopback address"),
            std::string::npos)
      << outcome.error_message;
  HttpCallOutcome mixed = Call(*guarded, Get("http://mixed.test/"));
  EXPECT_EQ(mixed.failure, FailureReason::kSsrfBlocked);
  EXPECT_NE(mixed.error_message.find("link-local"), std::string::npos) << mixed.error_message;
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(HttpTransportTest, ChecksEveryRedirectHop) {
  EgressPolicy policy;
  policy.allowed = {*ParseCidr("127.0.0.1/32")};
  auto guarded = MakeCurlTransport(policy);
  std::string port = std::to_string(server_.port());
  HttpCallSpec spec = Get(server_.Url("/to?url=http://0x7f000002:" + port + "/echo"));
  spec.max_redirects = 3;
  HttpCallOutcome outcome = Call(*guarded, spec);
  EXPECT_EQ(outcome.failure, FailureReason::kSsrfBlocked) << outcome.error_message;
  EXPECT_NE(outcome.error_message.find("127.0.0.2"), std::string::npos);
  EXPECT_EQ(server_.requests(), 1);
  // The allowed block itself is reachable through a redirect.
  spec.url = server_.Url("/to?url=http://127.0.0.1:" + port + "/echo");
  EXPECT_EQ(Call(*guarded, spec).status, 200);
}

TEST_F(HttpTransportTest, ARedirectToAnotherOriginDropsTheJobsHeaders) {
  TestHttpServer other;
  HttpCallSpec spec = Get(server_.Url("/to?code=307&url=" + other.Url("/echo")));
  spec.method = "POST";
  spec.body = R"({"a":1})";
  spec.headers = {{"Authorization", "Bearer s3cret"},
                  {"X-Api-Key", "k3y"},
                  {"Content-Type", "application/json"}};
  spec.identity_headers = {{"Flare-Run-Id", "run_1"}};
  spec.max_redirects = 1;
  HttpCallOutcome outcome = Call(*transport_, spec);
  ASSERT_EQ(outcome.status, 200) << outcome.error_message;
  nlohmann::json echo = nlohmann::json::parse(outcome.body);
  EXPECT_FALSE(echo["headers"].contains("Authorization"));
  EXPECT_FALSE(echo["headers"].contains("X-Api-Key"));
  EXPECT_EQ(echo["headers"]["Content-Type"], "application/json") << "the body still goes along";
  EXPECT_EQ(echo["headers"]["Flare-Run-Id"], "run_1");
  EXPECT_EQ(echo["body"], R"({"a":1})");
  // Within the origin the job's headers stay.
  spec.url = server_.Url("/to?code=307&url=/echo");
  nlohmann::json same = nlohmann::json::parse(Call(*transport_, spec).body);
  EXPECT_EQ(same["headers"]["Authorization"], "Bearer s3cret");
  EXPECT_EQ(same["headers"]["X-Api-Key"], "k3y");
  transport_.reset();  // closes the kept connection before `other` stops
}

class HttpTransportTlsTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  testing::TestCertificates certificates_ = testing::MakeTestCertificates(dir_.path());
  TestHttpServer server_{&certificates_};
  std::unique_ptr<HttpTransport> transport_ = MakeCurlTransport(OpenPolicy());
};

TEST_F(HttpTransportTlsTest, UntrustedCertificateIsTlsError) {
  HttpCallOutcome outcome = Call(*transport_, Get(server_.Url("/status/200")));
  EXPECT_EQ(outcome.failure, FailureReason::kTlsError);
  EXPECT_NE(outcome.error_message.find("not trusted"), std::string::npos) << outcome.error_message;
}

TEST_F(HttpTransportTlsTest, TrustsTheGivenCaBundle) {
  HttpCallSpec spec = Get(server_.Url("/status/200"));
  spec.ca_cert_pem = certificates_.ca_pem;
  HttpCallOutcome outcome = Call(*transport_, spec);
  EXPECT_EQ(outcome.failure, FailureReason::kNone) << outcome.error_message;
  EXPECT_EQ(outcome.status, 200);
}

TEST_F(HttpTransportTlsTest, AnotherCaIsNotTrusted) {
  testing::TempDir other_dir;
  HttpCallSpec spec = Get(server_.Url("/status/200"));
  spec.ca_cert_pem = testing::MakeTestCertificates(other_dir.path()).ca_pem;
  EXPECT_EQ(Call(*transport_, spec).failure, FailureReason::kTlsError);
  spec.ca_cert_pem = "not a certificate";
  HttpCallOutcome bad = Call(*transport_, spec);
  EXPECT_EQ(bad.failure, FailureReason::kTlsError);
  EXPECT_NE(bad.error_message.find("ca_cert"), std::string::npos);
}

TEST_F(HttpTransportTlsTest, ARedirectFromHttpsToHttpIsNotFollowed) {
  TestHttpServer plain;
  HttpCallSpec spec = Get(server_.Url("/to?url=" + plain.Url("/echo")));
  spec.ca_cert_pem = certificates_.ca_pem;
  spec.max_redirects = 5;
  HttpCallOutcome outcome = Call(*transport_, spec);
  EXPECT_EQ(outcome.failure, FailureReason::kNone) << outcome.error_message;
  EXPECT_EQ(outcome.status, 302);
  EXPECT_EQ(outcome.redirects, 0);
  EXPECT_NE(outcome.error_message.find("downgrade"), std::string::npos) << outcome.error_message;
  EXPECT_EQ(plain.requests(), 0);
}

TEST_F(HttpTransportTlsTest, VerificationCanBeTurnedOff) {
  HttpCallSpec spec = Get(server_.Url("/status/200"));
  spec.tls_verify = false;
  HttpCallOutcome outcome = Call(*transport_, spec);
  EXPECT_EQ(outcome.status, 200) << outcome.error_message;
  EXPECT_EQ(outcome.failure, FailureReason::kNone);
}

}  // namespace
}  // namespace flare::daemon

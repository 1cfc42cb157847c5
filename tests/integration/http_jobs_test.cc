// HTTP jobs end to end (SPEC §2 result/trace/request, §4 http target and egress guard, §5
// retries): a real flared performs requests against the loopback TestHttpServer sink.

#include <gtest/gtest.h>
#include <strings.h>

#include <map>

#include "tests/integration/runs_helpers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/test_http_server.h"
#include "tests/testutil/test_tls.h"

namespace flare::testing::runs_itest {
namespace {

// One flared with the egress guard opened for loopback, shared by the suite.
class HttpJobs : public ::testing::Test {
 protected:
  FlaredProcess& flared() { return flared_; }

  // The sink outlives flared: flared's kept-alive connections to it close with flared, so
  // the sink's threads need not sit out their keep-alive timeout when it stops.
  TestHttpServer sink_;
  FlaredProcess flared_{{"--allow-private-targets"}};
};

json EchoOf(const json& run) {
  if (!run["result"].is_object() || !run["result"]["body"].is_string()) return json();
  return json::parse(run["result"]["body"].get<std::string>(), nullptr, false);
}

std::string HeaderOf(const json& echo, const std::string& name) {
  for (const auto& [key, value] : echo["headers"].items()) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value.get<std::string>();
  }
  return "";
}

json FixedRetry() {
  return {{"strategy", "fixed"}, {"initial_delay_seconds", 1}, {"jitter", false}};
}

TEST_F(HttpJobs, PostSendsThePayloadAsJsonWhenThereIsNoBody) {
  json run = RunHttpJobOnce(flared(), HttpJobBody(sink_.Url("/echo"), json::object(),
                                                  {{"payload", {{"order", 42}, {"note", "hé"}}}}));
  ASSERT_EQ(run.value("state", ""), "succeeded") << run.dump();
  EXPECT_EQ(run["result"]["status"], 200);
  json echo = EchoOf(run);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(json::parse(echo["body"].get<std::string>()), (json{{"order", 42}, {"note", "hé"}}));
  EXPECT_EQ(HeaderOf(echo, "Content-Type"), "application/json");
  // The request snapshot: method, url and body as sent.
  EXPECT_EQ(run["request"]["method"], "POST");
  EXPECT_EQ(run["request"]["url"], sink_.Url("/echo"));
  // trace: the five timings of SPEC §2, each a non-negative number.
  for (const char* field : {"queue_wait_ms", "connect_ms", "ttfb_ms", "transfer_ms", "total_ms"}) {
    ASSERT_TRUE(run["trace"].contains(field)) << field << " missing: " << run["trace"].dump();
    EXPECT_TRUE(run["trace"][field].is_number()) << field;
    EXPECT_GE(run["trace"][field].get<double>(), 0) << field;
  }
}

TEST_F(HttpJobs, ExplicitBodyAndBothHeaderFormsArrive) {
  json list_form =
      HttpJobBody(sink_.Url("/echo"),
                  {{"body", "plain words"},
                   {"headers", json::array({{{"name", "X-One"}, {"value", "first"}},
                                            {{"name", "Content-Type"}, {"value", "text/plain"}}})}},
                  {{"payload", {{"ignored", true}}}});
  json run = RunHttpJobOnce(flared(), list_form);
  ASSERT_EQ(run.value("state", ""), "succeeded") << run.dump();
  json echo = EchoOf(run);
  EXPECT_EQ(echo["body"], "plain words") << "an explicit body wins over the payload";
  EXPECT_EQ(HeaderOf(echo, "X-One"), "first");
  EXPECT_EQ(HeaderOf(echo, "Content-Type"), "text/plain");

  json object_form =
      HttpJobBody(sink_.Url("/echo"),
                  {{"method", "PUT"}, {"headers", {{"X-Two", "second"}, {"X-Three", "third"}}}});
  run = RunHttpJobOnce(flared(), object_form);
  ASSERT_EQ(run.value("state", ""), "succeeded") << run.dump();
  echo = EchoOf(run);
  EXPECT_EQ(HeaderOf(echo, "X-Two"), "second");
  EXPECT_EQ(HeaderOf(echo, "X-Three"), "third");
}

TEST_F(HttpJobs, RequestsNameFlaredTheJobTheRunAndTheAttempt) {
  // /echo answers 200, so with success_status 201 both attempts fail.
  json body = HttpJobBody(sink_.Url("/echo"), {{"method", "GET"}, {"success_status", 201}},
                          {{"max_attempts", 2}, {"retry", FixedRetry()}});
  json job = CreateJob(flared(), body);
  std::string run_id = WaitForFirstRun(flared(), job.value("id", ""));
  json run = WaitForRunDone(flared(), run_id);
  ASSERT_EQ(run.value("attempt", 0), 2) << run.dump();
  json echo = EchoOf(run);  // the last attempt's request
  EXPECT_EQ(HeaderOf(echo, "User-Agent").rfind("flared/", 0), 0u) << echo.dump();
  EXPECT_EQ(HeaderOf(echo, "Flare-Job-Id"), job.value("id", ""));
  EXPECT_EQ(HeaderOf(echo, "Flare-Run-Id"), run_id);
  EXPECT_EQ(HeaderOf(echo, "Flare-Attempt"), "2");
}

// With a call slot free, the create's own transaction begins the run (README "The HTTP
// executor…"): the 201 already says processing, and the call follows that commit.
TEST_F(HttpJobs, ACreateWithACallSlotFreeBeginsTheRunAtOnce) {
  json job = CreateJob(flared(), HttpJobBody(sink_.Url("/delay/300"), {{"method", "GET"}}));
  EXPECT_EQ(job["state"], "processing") << job.dump();
  json done = WaitForState(flared(), job["id"], "succeeded");
  EXPECT_EQ(done["state"], "succeeded");
  EXPECT_EQ(sink_.requests(), 1);
}

TEST_F(HttpJobs, UrlsTheExecutorCannotRequestAreRefusedAtCreate) {
  for (const char* url :
       {"http://user:secret@127.0.0.1/hook", "http://127.0.0.1:0/", "http://127.0.0.1:65536/"}) {
    HttpReply reply = flared().Call("POST", "/flare/v1/jobs", HttpJobBody(url));
    EXPECT_TRUE(IsApiError(reply, 400, "invalid_request", "http.url")) << url;
    EXPECT_EQ(reply.body.find("secret"), std::string::npos) << reply.body;
  }
}

TEST_F(HttpJobs, EveryMethodReachesTheSink) {
  std::map<std::string, std::string> jobs;  // method -> job id
  for (const char* method : {"GET", "PUT", "PATCH", "DELETE"}) {
    json job = CreateJob(flared(), HttpJobBody(sink_.Url("/echo"), {{"method", method}}));
    jobs[method] = job.value("id", "");
  }
  for (const auto& [method, id] : jobs) {
    json run = WaitForRunDone(flared(), WaitForFirstRun(flared(), id));
    ASSERT_EQ(run.value("state", ""), "succeeded") << method << ": " << run.dump();
    EXPECT_EQ(EchoOf(run)["method"], method);
    EXPECT_EQ(run["request"]["method"], method);
  }
}

TEST_F(HttpJobs, SuccessStatusTakesACodeOrAClass) {
  json get = {{"method", "GET"}};
  json code = get, klass = get, wrong = get;
  code["success_status"] = "204";
  klass["success_status"] = "2xx";
  wrong["success_status"] = "204";
  json by_code = RunHttpJobOnce(flared(), HttpJobBody(sink_.Url("/status/204"), code));
  json by_class = RunHttpJobOnce(flared(), HttpJobBody(sink_.Url("/status/204"), klass));
  json mismatch =
      RunHttpJobOnce(flared(), HttpJobBody(sink_.Url("/status/200"), wrong, {{"max_attempts", 1}}));
  EXPECT_EQ(by_code.value("state", ""), "succeeded") << by_code.dump();
  EXPECT_EQ(by_code["result"]["status"], 204);
  EXPECT_EQ(by_class.value("state", ""), "succeeded") << by_class.dump();
  EXPECT_EQ(mismatch.value("state", ""), "dead_letter") << mismatch.dump();
  EXPECT_EQ(mismatch["failure_reason"], "NON_SUCCESS_STATUS");
  EXPECT_EQ(mismatch["result"]["status"], 200);
}

TEST_F(HttpJobs, NonSuccessStatusRetriesWithTheFixedDelayThenDeadLetters) {
  json body = HttpJobBody(sink_.Url("/status/500"), {{"method", "GET"}},
                          {{"max_attempts", 3}, {"retry", FixedRetry()}});
  json job = CreateJob(flared(), body);
  std::string run_id = WaitForFirstRun(flared(), job.value("id", ""));
  // Between attempts the run is failed with next_retry_at one second after the attempt.
  json failed = WaitForRunState(flared(), run_id, "failed");
  EXPECT_EQ(failed["failure_reason"], "NON_SUCCESS_STATUS");
  EXPECT_EQ(failed["attempt"], 1);
  int64_t gap = Millis(failed["next_retry_at"]) - Millis(failed["completed_at"]);
  EXPECT_GE(gap, 990);
  EXPECT_LE(gap, 1100) << "jitter is off: the delay is exactly 1 s";

  json run = WaitForRunDone(flared(), run_id, seconds(10));
  EXPECT_EQ(run["state"], "dead_letter");
  EXPECT_EQ(run["attempt"], 3);
  EXPECT_EQ(run["failure_reason"], "NON_SUCCESS_STATUS");
  EXPECT_TRUE(run["next_retry_at"].is_null());
  EXPECT_EQ(sink_.requests(), 3);
  std::string job_id = job.value("id", "");
  EXPECT_EQ(CountEvents(flared(), job_id, "attempt_failed"), 3);
  EXPECT_EQ(CountEvents(flared(), job_id, "retry_scheduled"), 2);
  EXPECT_EQ(CountEvents(flared(), job_id, "dead_lettered"), 1);
  json mirrored = GetJob(flared(), job_id);
  EXPECT_EQ(mirrored["state"], "dead_letter");
  EXPECT_EQ(mirrored["attempt"], 3);
}

TEST_F(HttpJobs, ASlowTargetTimesOut) {
  auto started = std::chrono::steady_clock::now();
  json run = RunHttpJobOnce(flared(), HttpJobBody(sink_.Url("/delay/6000"), {{"method", "GET"}},
                                                  {{"timeout_seconds", 1}, {"max_attempts", 1}}));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(run.value("state", ""), "dead_letter") << run.dump();
  EXPECT_EQ(run["failure_reason"], "TIMEOUT");
  EXPECT_LT(took, seconds(4)) << "the 1 s timeout did not cut the 6 s call short";
}

TEST_F(HttpJobs, AClosedPortIsAConnectionError) {
  json run =
      RunHttpJobOnce(flared(), HttpJobBody("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/",
                                           json::object(), {{"max_attempts", 1}}));
  EXPECT_EQ(run.value("state", ""), "dead_letter") << run.dump();
  EXPECT_EQ(run["failure_reason"], "CONNECTION_ERROR");
  EXPECT_TRUE(run["error"].is_object() && !run["error"].value("message", "").empty()) << run.dump();
}

TEST_F(HttpJobs, TlsNeedsATrustedCaOrVerificationOff) {
  TempDir pki;
  TestCertificates certs = MakeTestCertificates(pki.path());
  TestHttpServer https(&certs);
  std::string url = https.Url("/status/200");
  json get = {{"method", "GET"}};
  json untrusted = RunHttpJobOnce(flared(), HttpJobBody(url, get, {{"max_attempts", 1}}));
  EXPECT_EQ(untrusted.value("state", ""), "dead_letter") << untrusted.dump();
  EXPECT_EQ(untrusted["failure_reason"], "TLS_ERROR");

  json with_ca = get;
  with_ca["ca_cert"] = certs.ca_pem;
  json trusted = RunHttpJobOnce(flared(), HttpJobBody(url, with_ca, {{"max_attempts", 1}}));
  EXPECT_EQ(trusted.value("state", ""), "succeeded") << trusted.dump();

  json no_verify = get;
  no_verify["tls_verify"] = false;
  json unverified = RunHttpJobOnce(flared(), HttpJobBody(url, no_verify, {{"max_attempts", 1}}));
  EXPECT_EQ(unverified.value("state", ""), "succeeded") << unverified.dump();
  flared_.Stop();  // before the HTTPS sink, which would otherwise wait out keep-alive
}

TEST_F(HttpJobs, RedirectsAreFollowedOnlyWhenAsked) {
  json not_followed = RunHttpJobOnce(
      flared(), HttpJobBody(sink_.Url("/redirect/2"), {{"method", "GET"}}, {{"max_attempts", 1}}));
  EXPECT_EQ(not_followed.value("state", ""), "dead_letter") << not_followed.dump();
  EXPECT_EQ(not_followed["failure_reason"], "NON_SUCCESS_STATUS");
  EXPECT_EQ(not_followed["result"]["status"], 302);

  json followed = RunHttpJobOnce(
      flared(),
      HttpJobBody(sink_.Url("/redirect/2"), {{"method", "GET"}, {"follow_redirects", true}}));
  EXPECT_EQ(followed.value("state", ""), "succeeded") << followed.dump();
  EXPECT_EQ(followed["result"]["body"], "done");
}

TEST_F(HttpJobs, ResultKeepsTheFirst64KiBAndCountsTheBytes) {
  json get = {{"method", "GET"}};
  json big = RunHttpJobOnce(flared(), HttpJobBody(sink_.Url("/bytes/100000"), get));
  ASSERT_EQ(big.value("state", ""), "succeeded") << big.dump().substr(0, 500);
  EXPECT_EQ(big["result"]["body"].get<std::string>().size(), 65536u);
  EXPECT_EQ(big["result"]["body_truncated"], true);
  EXPECT_EQ(big["result"]["body_bytes"], 100000);
  EXPECT_TRUE(big["result"]["headers"].is_object() || big["result"]["headers"].is_array());

  json small = RunHttpJobOnce(flared(), HttpJobBody(sink_.Url("/bytes/10"), get));
  EXPECT_EQ(small["result"]["body"], "xxxxxxxxxx");
  EXPECT_EQ(small["result"]["body_truncated"], false);
  EXPECT_EQ(small["result"]["body_bytes"], 10);
}

TEST_F(HttpJobs, HeaderValuesAreRedactedEverywhere) {
  const std::string secret = "s3cr3t-token-7f2d9c1e";
  json http = {
      {"method", "GET"},
      {"headers", json::array({{{"name", "Authorization"}, {"value", "Bearer " + secret}}})}};
  json job = CreateJob(flared(), HttpJobBody(sink_.Url("/status/200"), http));
  std::string job_id = job.value("id", "");
  json run = WaitForRunDone(flared(), WaitForFirstRun(flared(), job_id));
  ASSERT_EQ(run.value("state", ""), "succeeded") << run.dump();
  bool shown = false;
  for (const auto& header : run["request"]["headers"]) {
    if (header.value("name", "") == "Authorization") {
      shown = true;
      EXPECT_EQ(header["value"], "***");
    }
  }
  EXPECT_TRUE(shown) << "request.headers lacks the header: " << run["request"].dump();
  EXPECT_EQ(job.dump().find(secret), std::string::npos) << "POST /jobs answer: " << job.dump();
  EXPECT_EQ(flared().Call("GET", "/flare/v1/jobs/" + job_id).body.find(secret), std::string::npos);
  EXPECT_EQ(flared().Call("GET", "/flare/v1/runs/" + run.value("id", "")).body.find(secret),
            std::string::npos);
  EXPECT_EQ(flared().Call("GET", "/flare/v1/jobs/" + job_id + "/events").body.find(secret),
            std::string::npos);
  EXPECT_EQ(flared().Log().find(secret), std::string::npos) << "the secret is in flared's log";
}

TEST_F(HttpJobs, RetryAfterOnA503DelaysTheRetry) {
  json body = HttpJobBody(sink_.Url("/status/503?retry_after=2"), {{"method", "GET"}},
                          {{"max_attempts", 2}, {"retry", FixedRetry()}});
  json job = CreateJob(flared(), body);
  std::string run_id = WaitForFirstRun(flared(), job.value("id", ""));
  json failed = WaitForRunState(flared(), run_id, "failed");
  int64_t gap = Millis(failed["next_retry_at"]) - Millis(failed["completed_at"]);
  EXPECT_GE(gap, 2000) << "Retry-After: 2 asks for at least 2 s, the policy says 1 s";
  auto first = std::chrono::steady_clock::now();
  ASSERT_TRUE(sink_.WaitForRequests(2, seconds(6)));
  EXPECT_GE(std::chrono::steady_clock::now() - first, milliseconds(1500));
  json run = WaitForRunDone(flared(), run_id);
  EXPECT_EQ(run["state"], "dead_letter");
  EXPECT_EQ(run["attempt"], 2);
}

// The egress guard as shipped (no flags), and opened for exactly 127.0.0.1/32.
class HttpEgress : public ::testing::Test {
 protected:
  TestHttpServer sink_;  // outlives both daemons (see HttpJobs)
  FlaredProcess guarded_;
  FlaredProcess one_host_{{"--allow-target", "127.0.0.1/32"}};
};

TEST_F(HttpEgress, LoopbackIsBlockedWithAMessageNamingTheAddressAndTheFlag) {
  json run = RunHttpJobOnce(guarded_, HttpJobBody(sink_.Url("/status/200"), {{"method", "GET"}}));
  EXPECT_EQ(run.value("state", ""), "dead_letter")
      << "a refused address is not retried: " << run.dump();
  EXPECT_EQ(run["failure_reason"], "SSRF_BLOCKED");
  std::string message = run["error"].value("message", "");
  EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << message;
  EXPECT_NE(message.find("--allow-private-targets"), std::string::npos) << message;
  EXPECT_EQ(sink_.requests(), 0) << "the sink must receive nothing";
}

TEST_F(HttpEgress, OtherNotationsOfLoopbackAreBlockedToo) {
  std::string port = std::to_string(sink_.port());
  for (const std::string& url : {"http://2130706433:" + port + "/status/200",
                                 "http://[::ffff:127.0.0.1]:" + port + "/status/200",
                                 "http://0x7f000001:" + port + "/status/200"}) {
    json run = RunHttpJobOnce(guarded_, HttpJobBody(url, {{"method", "GET"}}));
    EXPECT_EQ(run.value("state", ""), "dead_letter") << url << ": " << run.dump();
    EXPECT_EQ(run["failure_reason"], "SSRF_BLOCKED") << url << ": " << run.dump();
  }
  EXPECT_EQ(sink_.requests(), 0);
}

TEST_F(HttpEgress, AllowTargetOpensExactlyThatRange) {
  json run = RunHttpJobOnce(one_host_, HttpJobBody(sink_.Url("/status/200"), {{"method", "GET"}}));
  EXPECT_EQ(run.value("state", ""), "succeeded") << run.dump();
  EXPECT_EQ(sink_.requests(), 1);
}

TEST_F(HttpEgress, ARedirectToABlockedAddressIsRefused) {
  // The first hop (127.0.0.1) is allowed; each redirect hop is checked again.
  for (const std::string& target :
       {std::string("http://169.254.169.254/latest/meta-data/"),
        "http://127.0.0.2:" + std::to_string(sink_.port()) + "/status/200"}) {
    json run =
        RunHttpJobOnce(one_host_, HttpJobBody(sink_.Url("/to?url=" + target),
                                              {{"method", "GET"}, {"follow_redirects", true}}));
    EXPECT_EQ(run.value("state", ""), "dead_letter") << target << ": " << run.dump();
    EXPECT_EQ(run["failure_reason"], "SSRF_BLOCKED") << target << ": " << run.dump();
    std::string host = target.substr(7, target.find_first_of(":/", 7) - 7);
    EXPECT_NE(run["error"].value("message", "").find(host), std::string::npos) << run.dump();
  }
  EXPECT_EQ(sink_.requests(), 2) << "only the first hops reached the sink";
}

}  // namespace
}  // namespace flare::testing::runs_itest

// HTTP jobs aimed at hostile or broken targets (issue 6): nothing a target sends may crash
// flared, hold it, or keep a run from being recorded; a cancel of a stuck call answers at
// once while other writes keep flowing. The targets are raw sockets on 127.0.0.1
// (tests/testutil/hostile_server.h); flared runs with --allow-private-targets.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/integration/runs_helpers.h"
#include "tests/testutil/hostile_server.h"

namespace flare::testing::runs_itest {
namespace {

using Behaviour = HostileServer::Behaviour;
using Clock = std::chrono::steady_clock;

constexpr int kTimeoutSeconds = 2;
constexpr auto kSlack = milliseconds(1500);

class HostileTargets : public ::testing::Test {
 protected:
  // Creates a one-attempt GET job at `url` and waits for its run to end.
  json RunOnce(const std::string& url, int timeout_seconds = kTimeoutSeconds) {
    return RunHttpJobOnce(flared_,
                          HttpJobBody(url, {{"method", "GET"}},
                                      {{"timeout_seconds", timeout_seconds}, {"max_attempts", 1}}),
                          seconds(timeout_seconds) + seconds(8));
  }

  void ExpectFailedWithin(const json& run, const std::string& reason, milliseconds limit) {
    EXPECT_EQ(run.value("state", ""), "dead_letter") << run.dump().substr(0, 800);
    EXPECT_EQ(run.value("failure_reason", ""), reason) << run.dump().substr(0, 800);
    ASSERT_TRUE(run["started_at"].is_string() && run["completed_at"].is_string()) << run.dump();
    EXPECT_LE(Millis(run["completed_at"]) - Millis(run["started_at"]), limit.count());
    EXPECT_EQ(flared_.Call("GET", "/healthz").status, 200) << "flared must stay up";
  }

  FlaredProcess flared_{{"--allow-private-targets"}};
};

TEST_F(HostileTargets, AHugeStatusLineFailsTheRunAndFlaredStaysUp) {
  HostileServer target(Behaviour::kHugeStatusLine);
  json run = RunOnce(target.Url("/"));
  ExpectFailedWithin(run, "CONNECTION_ERROR", seconds(kTimeoutSeconds) + kSlack);
}

TEST_F(HostileTargets, EndlessResponseHeadersFailTheRun) {
  HostileServer target(Behaviour::kEndlessHeaders);
  json run = RunOnce(target.Url("/"));
  ExpectFailedWithin(run, "CONNECTION_ERROR", seconds(kTimeoutSeconds) + kSlack);
  EXPECT_NE(run["error"].value("message", "").find("response headers"), std::string::npos)
      << run["error"].dump();
}

TEST_F(HostileTargets, ATlsHandshakeThatNeverFinishesTimesOut) {
  HostileServer target(Behaviour::kSilent);
  json run = RunOnce(target.Url("/", true));
  ExpectFailedWithin(run, "TIMEOUT", seconds(kTimeoutSeconds) + kSlack);
}

TEST_F(HostileTargets, ATargetDrippingAByteASecondTimesOut) {
  HostileServer target(Behaviour::kDrip);
  json run = RunOnce(target.Url("/"));
  ExpectFailedWithin(run, "TIMEOUT", seconds(kTimeoutSeconds) + kSlack);
}

TEST_F(HostileTargets, AnAnswerThatIsNotUtf8IsRecorded) {
  HostileServer target(Behaviour::kCanned,
                       "HTTP/1.1 200 OK\r\nX-Bad-\xff\xfe: v\xe9\xff\r\nContent-Length: 4\r\n"
                       "Connection: close\r\n\r\nok\xff\xfe");
  json run = RunOnce(target.Url("/"));
  ASSERT_EQ(run.value("state", ""), "succeeded") << run.dump();
  EXPECT_EQ(run["result"]["status"], 200);
  EXPECT_EQ(run["result"]["body"], "ok\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(run["result"]["headers"]["X-Bad-\xEF\xBF\xBD\xEF\xBF\xBD"], "v\xEF\xBF\xBD\xEF\xBF\xBD")
      << run["result"]["headers"].dump();
}

TEST_F(HostileTargets, CancelOfAStuckCallAnswersAtOnceWhileCreatesKeepFlowing) {
  HostileServer target(Behaviour::kSilent);
  json job = CreateJob(flared_, HttpJobBody(target.Url("/", true), {{"method", "GET"}},
                                            {{"timeout_seconds", 60}, {"max_attempts", 1}}));
  std::string run_id = WaitForFirstRun(flared_, job.value("id", ""));
  ASSERT_TRUE(target.WaitForConnections(1, seconds(10)));
  WaitForRunState(flared_, run_id, "processing");

  // Creates sent while the cancel is handled: each must be answered promptly.
  std::atomic<bool> done{false};
  std::atomic<int64_t> slowest_create_ms{0};
  std::atomic<int> creates{0};
  std::thread creator([&] {
    for (int i = 0; i < 200 && !done; ++i) {
      auto started = Clock::now();
      HttpReply reply =
          flared_.Call("POST", "/flare/v1/jobs",
                       {{"job_type", "t"}, {"queue", "hostile-test"}, {"payload", json::object()}});
      int64_t took = std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();
      EXPECT_EQ(reply.status, 201) << reply.body;
      slowest_create_ms = std::max<int64_t>(slowest_create_ms, took);
      ++creates;
    }
  });
  auto started = Clock::now();
  HttpReply cancel = flared_.Call("POST", "/flare/v1/runs/" + run_id + "/cancel");
  auto cancel_took = Clock::now() - started;
  EXPECT_TRUE(cancel.status == 200 || cancel.status == 202) << cancel.status << " " << cancel.body;
  EXPECT_LT(cancel_took, milliseconds(1000));
  json run = WaitForRunState(flared_, run_id, "cancelled", seconds(5));
  EXPECT_EQ(run.value("state", ""), "cancelled") << run.dump();
  WaitFor([&] { return creates >= 5; }, seconds(5));
  done = true;
  creator.join();
  EXPECT_GE(creates.load(), 5);
  EXPECT_LT(slowest_create_ms.load(), 1000);
}

}  // namespace
}  // namespace flare::testing::runs_itest

// `worker run` against a fake API: real /bin/sh children, acks by exit status, stderr tail,
// env vars, payload on stdin, heartbeat cancellation, graceful and forced stops.

#include <gtest/gtest.h>

#include <deque>
#include <thread>

#include "cli/worker_runner.h"
#include "tests/unit/cli/cli_test_support.h"

namespace flare::cli {
namespace {

using testing::FakeApi;

constexpr const char* kScript = R"(payload=$(cat)
case "$FLARE_JOB_ID" in
  job_ok)
    [ "$payload" = '{"n":1}' ] && [ "$FLARE_RUN_ID" = run_ok ] && [ "$FLARE_ATTEMPT" = 2 ] &&
    [ "$FLARE_MAX_ATTEMPTS" = 3 ] && [ "$FLARE_QUEUE" = q ] && [ "$FLARE_JOB_TYPE" = t ] &&
    [ "$FLARE_LEASE_ID" = lease_ok ] && [ -z "$FLARE_API_KEY" ] || { echo "bad env: $payload" >&2; exit 9; }
    echo '::progress 0.5'; echo 'hello from stdout'; exit 0 ;;
  job_fail) echo 'first line' >&2; echo 'boom: disk full' >&2; exit 3 ;;
  job_sig) kill -9 $$ ;;
  job_slow) sleep 1; exit 0 ;;
  job_quick*) exit 0 ;;
  *) exec sleep 30 ;;
esac)";

nlohmann::json Claim(const std::string& name, nlohmann::json payload = {{"n", 1}}) {
  return {{"id", "job_" + name},
          {"run_id", "run_" + name},
          {"lease_id", "lease_" + name},
          {"job_type", "t"},
          {"queue", "q"},
          {"payload", payload},
          {"attempt", 2},
          {"max_attempts", 3},
          {"timeout_seconds", 60}};
}

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api.On("POST /flare/v1/workers/register",
           [this](const httplib::Request&, httplib::Response& r) {
             nlohmann::json answer = {{"worker_id", "w1"}, {"heartbeat_interval_seconds", 1}};
             std::lock_guard lock(mutex);
             if (ack_next) answer["ack_next"] = true;
             r.set_content(answer.dump(), "application/json");
           });
    api.On("POST /flare/v1/workers/ack",
           [this](const httplib::Request& request, httplib::Response& r) {
             std::lock_guard lock(mutex);
             if (acks_to_fail > 0) {
               --acks_to_fail;
               r.status = 503;
               r.set_content(R"({"error":{"code":"unavailable","message":"try again"}})",
                             "application/json");
               return;
             }
             nlohmann::json answer = {{"state", "succeeded"}};
             auto body = nlohmann::json::parse(request.body);
             if (body.contains("next")) answer["jobs"] = Take(body["next"].value("max_jobs", 1));
             r.set_content(answer.dump(), "application/json");
           });
    api.On("POST /flare/v1/workers/heartbeat", [this](const httplib::Request&,
                                                      httplib::Response& r) {
      std::lock_guard lock(mutex);
      r.set_content(nlohmann::json({{"ok", true}, {"cancel", cancel}}).dump(), "application/json");
    });
    api.On("POST /flare/v1/workers/poll",
           [this](const httplib::Request& request, httplib::Response& r) {
             int max_jobs = nlohmann::json::parse(request.body).value("max_jobs", 1);
             std::lock_guard lock(mutex);
             r.set_content(nlohmann::json({{"jobs", Take(max_jobs)}}).dump(), "application/json");
           });
  }

  // Up to `max_jobs` claims off the queue; with `mutex` held.
  nlohmann::json Take(int max_jobs) {
    nlohmann::json jobs = nlohmann::json::array();
    while (!queue.empty() && static_cast<int>(jobs.size()) < max_jobs) {
      jobs.push_back(queue.front());
      queue.pop_front();
    }
    return jobs;
  }

  void Start(std::deque<nlohmann::json> jobs, int concurrency = 2) {
    queue = std::move(jobs);
    WorkerOptions options;
    options.identity = {"w1", {"q"}, {"t"}};
    options.concurrency = concurrency;
    options.wait_seconds = 2;
    options.command = {"/bin/sh", "-c", kScript};
    Settings settings;
    settings.base_url = api.base_url();
    settings.api_key = "sk_worker";
    runner =
        std::make_unique<WorkerRunner>(options, std::make_unique<ApiClient>(settings, nullptr),
                                       std::make_unique<ApiClient>(settings, nullptr), fake.io);
    thread = std::thread([this] { exit_code = runner->Run(); });
  }

  int StopAndJoin(int times = 1) {
    for (int i = 0; i < times; ++i) runner->RequestStop();
    thread.join();
    return exit_code;
  }

  nlohmann::json AckFor(const std::string& job_id) {
    for (const auto& ack : api.RequestsTo("POST /flare/v1/workers/ack")) {
      if (ack.Json()["job_id"] == job_id) return ack.Json();
    }
    return nullptr;
  }

  bool WaitForAcks(size_t count) {
    return api.WaitFor([count](const std::vector<testing::Recorded>& requests) {
      size_t acks = 0;
      for (const auto& r : requests) acks += r.path == "/flare/v1/workers/ack";
      return acks >= count;
    });
  }

  bool WaitForHeartbeatWith(const std::string& job_id) {
    return api.WaitFor([job_id](const std::vector<testing::Recorded>& requests) {
      for (const auto& r : requests) {
        if (r.path == "/flare/v1/workers/heartbeat" && r.body.find(job_id) != std::string::npos) {
          return true;
        }
      }
      return false;
    });
  }

  testing::FakeIo fake;
  // What the fake API's handlers read; declared before `api` so that it outlives the server
  // thread, which `api`'s destructor stops first.
  std::mutex mutex;
  std::deque<nlohmann::json> queue;
  nlohmann::json cancel = nlohmann::json::array();
  int acks_to_fail = 0;   // answer this many acks 503 first
  bool ack_next = false;  // the register answer says "ack_next" (acks then hand out jobs)
  FakeApi api;
  std::unique_ptr<WorkerRunner> runner;
  std::thread thread;
  int exit_code = -1;
};

TEST_F(WorkerTest, AcksByExitStatusWithStderrTailAndEnv) {
  setenv("FLARE_API_KEY", "must_not_reach_children", 1);
  Start({Claim("ok"), Claim("fail"), Claim("sig")});
  ASSERT_TRUE(WaitForAcks(3)) << fake.err.str();
  EXPECT_EQ(StopAndJoin(), 0);
  unsetenv("FLARE_API_KEY");

  auto ok = AckFor("job_ok");
  EXPECT_EQ(ok["status"], "succeeded") << ok.dump() << fake.err.str();
  EXPECT_EQ(ok["run_id"], "run_ok");
  EXPECT_EQ(ok["lease_id"], "lease_ok");
  EXPECT_EQ(ok["worker_id"], "w1");
  EXPECT_TRUE(ok["duration_ms"].is_number());

  auto fail = AckFor("job_fail");
  EXPECT_EQ(fail["status"], "failed");
  EXPECT_EQ(fail["error"]["type"], "ExitCode");
  EXPECT_EQ(fail["error"]["message"], "exit status 3: first line\nboom: disk full");

  auto sig = AckFor("job_sig");
  EXPECT_EQ(sig["status"], "failed");
  EXPECT_EQ(sig["error"]["type"], "Signal");
  EXPECT_EQ(sig["error"]["message"], "killed by SIGKILL");

  EXPECT_NE(fake.err.str().find("[job_ok] hello from stdout"), std::string::npos);
  EXPECT_EQ(fake.err.str().find("::progress"), std::string::npos);
  auto polls = api.RequestsTo("POST /flare/v1/workers/poll");
  ASSERT_FALSE(polls.empty());
  EXPECT_EQ(polls[0].Json()["max_jobs"], 2);
  EXPECT_EQ(polls[0].Json()["queues"], nlohmann::json({"q"}));
  EXPECT_EQ(polls[0].Header("Authorization"), "Bearer sk_worker");
}

TEST_F(WorkerTest, HeartbeatExtendsLeasesAndCancelKillsTheChild) {
  Start({Claim("long")});
  ASSERT_TRUE(WaitForHeartbeatWith("job_long"));
  {
    std::lock_guard lock(mutex);
    cancel = {"job_long"};
  }
  auto heartbeats = api.RequestsTo("POST /flare/v1/workers/heartbeat");
  auto entry = heartbeats.back().Json()["jobs"][0];
  EXPECT_EQ(entry["extend_seconds"], 3);
  EXPECT_EQ(entry["run_id"], "run_long") << "the heartbeat names the run this worker holds";
  EXPECT_EQ(entry["lease_id"], "lease_long");
  // The next heartbeat answers with the cancel; the child dies and is not acked.
  ASSERT_TRUE(api.WaitFor([&](const std::vector<testing::Recorded>&) {
    return fake.err.str().find("[job_long] cancelled") != std::string::npos;
  }));
  EXPECT_EQ(StopAndJoin(), 0);
  EXPECT_TRUE(AckFor("job_long").is_null());
}

TEST_F(WorkerTest, FirstStopLetsRunningJobsFinish) {
  Start({Claim("slow")});
  ASSERT_TRUE(api.WaitFor([this](const std::vector<testing::Recorded>&) {
    return fake.err.str().find("[job_slow] started") != std::string::npos;
  }));
  EXPECT_EQ(StopAndJoin(1), 0);
  EXPECT_EQ(AckFor("job_slow")["status"], "succeeded");
}

TEST_F(WorkerTest, SecondStopKillsRunningJobs) {
  Start({Claim("stuck")});
  ASSERT_TRUE(WaitForHeartbeatWith("job_stuck"));
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(StopAndJoin(2), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  auto ack = AckFor("job_stuck");
  EXPECT_EQ(ack["status"], "failed");
  EXPECT_EQ(ack["error"]["type"], "Signal");
}

size_t CountAcks(const FakeApi& api) { return api.RequestsTo("POST /flare/v1/workers/ack").size(); }

TEST_F(WorkerTest, AckIsRetriedWithBackoffUntilTheServerTakesIt) {
  acks_to_fail = 3;
  auto started = std::chrono::steady_clock::now();
  Start({Claim("ok")});
  ASSERT_TRUE(api.WaitFor(
      [this](const std::vector<testing::Recorded>&) {
        return fake.err.str().find("[job_ok] ack delivered (try 4)") != std::string::npos;
      },
      std::chrono::seconds(20)))
      << fake.err.str();
  // Backoff 0.5 s, 1 s, 2 s: not a burst of retries.
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(3000));
  EXPECT_EQ(StopAndJoin(), 0);
  EXPECT_EQ(CountAcks(api), 4u);
  EXPECT_EQ(AckFor("job_ok")["status"], "succeeded");
}

TEST_F(WorkerTest, AckRetriesEndWhenTheLeaseWouldHaveLapsed) {
  acks_to_fail = 1000;
  auto claim = Claim("ok");
  claim["timeout_seconds"] = 3;
  auto started = std::chrono::steady_clock::now();
  Start({claim});
  ASSERT_TRUE(api.WaitFor(
      [this](const std::vector<testing::Recorded>&) {
        return fake.err.str().find("[job_ok] ack failed") != std::string::npos &&
               fake.err.str().find("giving up") != std::string::npos;
      },
      std::chrono::seconds(20)))
      << fake.err.str();
  auto gave_up = std::chrono::steady_clock::now() - started;
  EXPECT_LT(gave_up, std::chrono::seconds(6));
  size_t tries = CountAcks(api);
  EXPECT_GE(tries, 3u);  // 0 s, 0.5 s, 1.5 s, and a last one before the lease lapses
  EXPECT_EQ(StopAndJoin(), 0);
  EXPECT_EQ(CountAcks(api), tries);
}

TEST_F(WorkerTest, StopStillDeliversPendingAcks) {
  acks_to_fail = 2;
  Start({Claim("slow")});
  ASSERT_TRUE(api.WaitFor([this](const std::vector<testing::Recorded>&) {
    return fake.err.str().find("[job_slow] started") != std::string::npos;
  }));
  EXPECT_EQ(StopAndJoin(1), 0);
  EXPECT_EQ(CountAcks(api), 3u) << fake.err.str();
  EXPECT_EQ(AckFor("job_slow")["status"], "succeeded");
}

// Where the server says so, a finished job's ack asks for the next one and the worker runs
// what the answer hands over: one poll for a whole run of jobs, another only when an ack
// comes back without any.
TEST_F(WorkerTest, WithAckNextEachAckTakesTheNextJobInsteadOfAPoll) {
  ack_next = true;
  Start({Claim("quick1"), Claim("quick2"), Claim("quick3")}, 1);
  ASSERT_TRUE(WaitForAcks(3)) << fake.err.str();
  auto requests = api.requests();
  int polls_before_last_ack = 0;
  size_t acks = 0;
  for (const auto& request : requests) {
    if (request.path == "/flare/v1/workers/poll") ++polls_before_last_ack;
    if (request.path != "/flare/v1/workers/ack") continue;
    auto body = request.Json();
    EXPECT_EQ(body["job_id"], "job_quick" + std::to_string(++acks));
    EXPECT_EQ(body["lease_id"], "lease_quick" + std::to_string(acks));
    EXPECT_EQ(body["next"],
              nlohmann::json({{"max_jobs", 1}, {"queues", {"q"}}, {"job_types", {"t"}}}))
        << "a freed slot asks for one job of the worker's queues and types";
    if (acks == 3) break;
  }
  EXPECT_EQ(polls_before_last_ack, 1) << "jobs 2 and 3 came with the acks";
  EXPECT_EQ(StopAndJoin(), 0);
  EXPECT_EQ(AckFor("job_quick3")["status"], "succeeded");
  EXPECT_NE(fake.err.str().find("[job_quick3] started"), std::string::npos) << fake.err.str();
}

TEST_F(WorkerTest, WithoutAckNextAcksAskForNothing) {
  Start({Claim("quick1"), Claim("quick2")}, 1);
  ASSERT_TRUE(WaitForAcks(2)) << fake.err.str();
  EXPECT_EQ(StopAndJoin(), 0);
  for (const auto& ack : api.RequestsTo("POST /flare/v1/workers/ack"))
    EXPECT_FALSE(ack.Json().contains("next")) << ack.body;
  EXPECT_GE(api.RequestsTo("POST /flare/v1/workers/poll").size(), 2u);
}

}  // namespace
}  // namespace flare::cli

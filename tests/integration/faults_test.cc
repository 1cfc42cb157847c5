// Faults (SPEC §6, §8): kill -9 loses nothing that was answered, leases survive a restart,
// hostile input gets a 4xx and leaves flared healthy, SIGTERM exits 0 promptly while a
// long-poll waits, and the admin key never reaches the log.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "tests/integration/itest.h"

namespace flare::testing {
namespace {

// Writes `bytes` to a fresh connection and reads the answer (at most 2 s); "" when none.
std::string SendRawBytes(int port, const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    (void)!send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    char buffer[4096];
    for (int i = 0; i < 64; ++i) {  // bounded: at most 256 KiB of answer
      ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      answer.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  return answer;
}

TEST(Faults, KillNineMidLoadLosesNothingThatWasAnswered) {
  FlaredProcess flared;
  std::random_device device;
  unsigned seed = device();
  std::mt19937 random(seed);
  size_t kill_after = std::uniform_int_distribution<size_t>(40, 240)(random);
  std::printf("[ measure  ] seed %u: kill -9 after %zu answered creates\n", seed, kill_after);

  std::mutex mutex;
  std::vector<std::string> answered;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  auto deadline = Clock::now() + seconds(20);
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !stop.load() && Clock::now() < deadline; ++i) {
        json body = JobBody("load", {{"payload", {{"t", t}, {"i", i}}}});
        if (i % 5 == 4)
          body["idempotency_key"] = "k-" + std::to_string(t) + "-" + std::to_string(i);
        HttpReply reply = flared.Call("POST", "/flare/v1/jobs", body);
        if (reply.status == 201) {
          std::lock_guard lock(mutex);
          answered.push_back(reply.json()["id"]);
        }
      }
    });
  }
  bool reached = WaitFor(
      [&] {
        std::lock_guard lock(mutex);
        return answered.size() >= kill_after;
      },
      seconds(15));
  flared.Kill9();  // while the four clients keep creating
  stop = true;
  for (auto& client : clients) client.join();
  ASSERT_TRUE(reached) << "only " << answered.size() << " creates were answered";

  flared.Restart();
  size_t missing = 0;
  for (const auto& id : answered) {
    HttpReply reply = flared.Call("GET", "/flare/v1/jobs/" + id);
    if (reply.status != 200) ++missing;
    EXPECT_EQ(reply.status, 200) << id << " was answered 201 but is gone after kill -9";
  }
  std::printf("[ measure  ] %zu answered before kill -9, %zu missing after restart\n",
              answered.size(), missing);
  // And the restarted daemon works: everything answered is still claimable, once.
  HttpReply poll = flared.Call(
      "POST", "/flare/v1/workers/poll",
      {{"worker_id", "after"}, {"queues", {"load"}}, {"max_jobs", 100}, {"wait_seconds", 0}});
  EXPECT_EQ(poll.status, 200);
  ExpectHealthy(flared);
  ExpectCleanShutdown(flared);
}

// Claims and acks commit "relaxed" (they may ride the next fsync, README "Durability"),
// creates commit durable; either way a kill -9 loses nothing that was answered: creates
// answered 201 exist after the restart and jobs whose ack was answered 200 are succeeded.
TEST(Faults, KillNineMidCreateAndAckLosesNoAnsweredCreateOrAck) {
  FlaredProcess flared;
  std::random_device device;
  unsigned seed = device();
  std::mt19937 random(seed);
  size_t kill_after = std::uniform_int_distribution<size_t>(20, 120)(random);
  std::printf("[ measure  ] seed %u: kill -9 after %zu answered acks\n", seed, kill_after);

  std::mutex mutex;
  std::vector<std::string> created, acked;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  auto deadline = Clock::now() + seconds(20);
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {  // creators
      for (int i = 0; !stop.load() && Clock::now() < deadline; ++i) {
        HttpReply reply = flared.Call("POST", "/flare/v1/jobs",
                                      JobBody("mixed", {{"payload", {{"t", t}, {"i", i}}}}));
        if (reply.status != 201) continue;
        std::lock_guard lock(mutex);
        created.push_back(reply.json()["id"]);
      }
    });
    threads.emplace_back([&, t] {  // workers
      std::string worker = "w-mixed-" + std::to_string(t);
      while (!stop.load() && Clock::now() < deadline) {
        HttpReply poll = flared.Call(
            "POST", "/flare/v1/workers/poll",
            {{"worker_id", worker}, {"queues", {"mixed"}}, {"max_jobs", 5}, {"wait_seconds", 1}});
        json claims = poll.status == 200 ? poll.json() : json();
        if (!claims.is_object() || !claims.contains("jobs")) continue;
        for (const json& claim : claims["jobs"]) {
          if (Ack(flared, claim, worker, "succeeded").status != 200) continue;
          std::lock_guard lock(mutex);
          acked.push_back(claim["id"]);
        }
      }
    });
  }
  bool reached = WaitFor(
      [&] {
        std::lock_guard lock(mutex);
        return acked.size() >= kill_after;
      },
      seconds(15));
  flared.Kill9();  // while the creators and the workers keep going
  stop = true;
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(reached) << "only " << acked.size() << " acks were answered";

  flared.Restart();
  size_t missing = 0, not_succeeded = 0;
  for (const auto& id : created) {
    HttpReply reply = flared.Call("GET", "/flare/v1/jobs/" + id);
    if (reply.status != 200) ++missing;
    EXPECT_EQ(reply.status, 200) << id << " was answered 201 but is gone after kill -9";
  }
  for (const auto& id : acked) {
    json job = flared.Call("GET", "/flare/v1/jobs/" + id).json();
    if (!job.is_object() || job.value("state", "") != "succeeded") ++not_succeeded;
    EXPECT_EQ(job.value("state", ""), "succeeded") << id << " was acked 200: " << job.dump();
  }
  std::printf(
      "[ measure  ] %zu creates and %zu acks answered before kill -9; %zu missing, %zu "
      "not succeeded after restart\n",
      created.size(), acked.size(), missing, not_succeeded);
  ExpectHealthy(flared);
  ExpectCleanShutdown(flared);
}

TEST(Faults, ProcessingJobKeepsItsLeaseAcrossKillNine) {
  FlaredProcess flared;
  json job = CreateJob(flared, JobBody("survive", {{"timeout_seconds", 120}}));
  json claims = Poll(flared, "w-survive", "survive");
  ASSERT_EQ(claims.size(), 1u);
  flared.Kill9();
  flared.Restart();
  json after = GetJob(flared, job["id"]);
  EXPECT_EQ(after["state"], "processing") << after.dump();
  EXPECT_EQ(after["attempt"], 1);
  EXPECT_TRUE(Poll(flared, "w-thief", "survive").empty()) << "a live lease is not reclaimed";
  HttpReply beat = flared.Call(
      "POST", "/flare/v1/workers/heartbeat",
      {{"worker_id", "w-survive"}, {"jobs", {{{"job_id", job["id"]}, {"progress", 0.5}}}}});
  ASSERT_EQ(beat.status, 200) << beat.body;
  EXPECT_EQ(beat.json()["cancel"], json::array());
  HttpReply ack = Ack(flared, claims[0], "w-survive", "succeeded");
  EXPECT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(GetJob(flared, job["id"])["state"], "succeeded");
  ExpectCleanShutdown(flared);
}

TEST(Faults, LapsedLeaseIsReclaimedAfterRestart) {
  FlaredProcess flared;
  json job = CreateJob(
      flared,
      JobBody(
          "reclaim",
          {{"timeout_seconds", 2},
           {"retry", {{"strategy", "fixed"}, {"initial_delay_seconds", 1}, {"jitter", false}}}}));
  json claims = Poll(flared, "w-gone", "reclaim");
  ASSERT_EQ(claims.size(), 1u);
  auto claimed = Clock::now();
  flared.Kill9();
  flared.Restart();
  json again = Poll(flared, "w-new", "reclaim", 1, 8);
  double after_ms = MillisBetween(claimed, Clock::now());
  std::printf("[ measure  ] reclaimed %.0f ms after the claim (lease 2 s, retry delay 1 s)\n",
              after_ms);
  ASSERT_EQ(again.size(), 1u) << "the lapsed run was not reclaimed after restart";
  EXPECT_EQ(again[0]["id"], job["id"]);
  EXPECT_EQ(again[0]["attempt"], 2);
  EXPECT_NE(again[0]["lease_id"], claims[0]["lease_id"]);
  EXPECT_GE(after_ms, 1900.0);
  EXPECT_TRUE(IsError(Ack(flared, claims[0], "w-gone", "succeeded"), 409, "lease_lost"));
  EXPECT_EQ(Ack(flared, again[0], "w-new", "succeeded").status, 200);
  ExpectCleanShutdown(flared);
}

TEST(Faults, CommittedStateSurvivesAGracefulRestartToo) {
  FlaredProcess flared;
  json done = CreateJob(flared, JobBody("keep"));
  ASSERT_EQ(Ack(flared, Poll(flared, "w", "keep")[0], "w", "succeeded").status, 200);
  json waiting = CreateJob(flared, JobBody("keep", {{"run_at", "2099-01-01T00:00:00Z"}}));
  json cancelled = CreateJob(flared, JobBody("keep"));
  ASSERT_EQ(flared.Call("POST", "/flare/v1/jobs/" + cancelled.value("id", "") + "/cancel").status,
            200);
  ASSERT_EQ(flared.Stop(), 0);
  flared.Restart();
  EXPECT_EQ(GetJob(flared, done["id"])["state"], "succeeded");
  EXPECT_EQ(GetJob(flared, waiting["id"])["state"], "scheduled");
  EXPECT_EQ(GetJob(flared, cancelled["id"])["state"], "cancelled");
  ExpectCleanShutdown(flared);
}

class BadInput : public FlaredSuite {};

TEST_F(BadInput, RandomGarbageBodiesAre4xx) {
  std::mt19937 random(12345);
  std::uniform_int_distribution<int> byte(0, 255), length(0, 600);
  const char* paths[] = {"/flare/v1/jobs",
                         "/flare/v1/jobs/batch",
                         "/flare/v1/workers/poll",
                         "/flare/v1/workers/ack",
                         "/flare/v1/workers/heartbeat",
                         "/flare/v1/workers/register",
                         "/flare/v1/workers/progress"};
  for (int i = 0; i < 140; ++i) {
    std::string body;
    int n = length(random);
    for (int k = 0; k < n; ++k) body.push_back(static_cast<char>(byte(random)));
    if (i % 3 == 0) body = "{\"job_type\":" + body;  // garbage after a plausible start
    const char* path = paths[i % std::size(paths)];
    HttpReply reply = flared().CallRaw("POST", path, body);
    EXPECT_GE(reply.status, 400) << path << " #" << i;
    EXPECT_LT(reply.status, 500) << path << " #" << i << ": " << reply.body;
  }
  ExpectHealthy(flared());
}

TEST_F(BadInput, DeeplyNestedJsonIs4xxOrAcceptedButNeverFatal) {
  std::string open(100000, '[');
  EXPECT_TRUE(IsError(flared().CallRaw("POST", "/flare/v1/jobs", open), 400, "invalid_request"));
  std::string balanced = open + std::string(100000, ']');
  EXPECT_TRUE(
      IsError(flared().CallRaw("POST", "/flare/v1/jobs", balanced), 400, "invalid_request"));
  std::string objects;
  for (int i = 0; i < 50000; ++i) objects += "{\"a\":";
  objects += "1" + std::string(50000, '}');
  EXPECT_TRUE(
      IsError(flared().CallRaw("POST", "/flare/v1/workers/poll", objects), 400, "invalid_request"));
  EXPECT_TRUE(
      IsError(flared().CallRaw("POST", "/flare/v1/jobs/batch", open), 400, "invalid_request"));
  std::string deep_item = R"({"jobs":[{"job_type":"deep","queue":"deep","payload":{"x":)" +
                          std::string(100000, '[') + std::string(100000, ']') + "}}]}";
  HttpReply batch = flared().CallRaw("POST", "/flare/v1/jobs/batch", deep_item);
  EXPECT_TRUE(IsError(batch, 400, "invalid_request"))
      << "the create limit on nesting applies to batch items too";
  ExpectHealthy(flared());

  // A deep payload in an otherwise valid job: refused or stored, but flared survives
  // storing it, reading it back and handing it to a worker.
  std::string deep = R"({"job_type":"deep","queue":"deep","payload":{"x":)" +
                     std::string(20000, '[') + std::string(20000, ']') + "}}";
  HttpReply reply = flared().CallRaw("POST", "/flare/v1/jobs", deep);
  std::printf("[ measure  ] 20000-deep payload answered %d\n", reply.status);
  EXPECT_TRUE(reply.status == 201 || (reply.status >= 400 && reply.status < 500))
      << reply.body.substr(0, 300);
  if (reply.status == 201) {
    EXPECT_EQ(flared().Call("GET", "/flare/v1/jobs/" + reply.json().value("id", "")).status, 200);
    EXPECT_EQ(flared().Call("GET", "/flare/v1/jobs?queue=deep").status, 200);
    Poll(flared(), "w-deep", "deep");
  }
  ExpectHealthy(flared());
}

TEST_F(BadInput, HugeNumbersAndInvalidUtf8Are400) {
  static const char kNul[] = "{\"job_type\":\"a\0b\",\"payload\":{}}";
  const std::vector<std::string> bodies = {
      R"({"job_type":"a","payload":{},"max_attempts":1e400})",
      R"({"job_type":"a","payload":{},"max_attempts":99999999999999999999999999})",
      R"({"job_type":"a","payload":{},"timeout_seconds":-99999999999999999999})",
      R"({"job_type":"a","payload":{},"max_attempts":3.0000000000000001e2})",
      R"({"job_type":"a","payload":{},"max_attempts":NaN})",
      R"({"job_type":"a","payload":{},"timeout_seconds":Infinity})",
      "{\"job_type\":\"\xff\xfe\",\"payload\":{}}",
      "{\"job_type\":\"a\",\"payload\":{\"s\":\"\xc3\x28\"}}",
      "{\"job_type\":\"a\",\"payload\":{\"s\":\"\xed\xa0\x80\"}}",  // a UTF-16 surrogate
      "{\"job_type\":\"a\",\"payload\":{\"s\":\"\\ud800\"}}",       // a lone escaped surrogate
      std::string(kNul, sizeof kNul - 1),
  };
  for (const auto& body : bodies) {
    HttpReply reply = flared().CallRaw("POST", "/flare/v1/jobs", body);
    EXPECT_TRUE(IsError(reply, 400, "invalid_request")) << "body: " << body;
  }
  // Big but in-range numbers inside a payload are data, kept exactly.
  json job = CreateJob(
      flared(), JobBody("nums", {{"payload", {{"big", 9007199254740993LL}, {"neg", -0.0}}}}));
  EXPECT_EQ(GetJob(flared(), job.value("id", ""))["payload"]["big"], 9007199254740993LL);
  ExpectHealthy(flared());
}

TEST_F(BadInput, WrongContentTypesLongUrlsAndRawGarbage) {
  std::string valid = JobBody("ctype").dump();
  for (const char* type :
       {"text/plain", "application/x-www-form-urlencoded", "application/xml", ""}) {
    HttpReply reply = flared().CallRaw("POST", "/flare/v1/jobs", valid, type);
    // Either JSON is accepted whatever the label, or the label is refused; never a 5xx.
    EXPECT_TRUE(reply.status == 201 || (reply.status >= 400 && reply.status < 500))
        << type << ": " << reply.status;
  }
  HttpReply multipart = flared().CallRaw("POST", "/flare/v1/jobs", "--x\r\ngarbage\r\n--x--",
                                         "multipart/form-data; boundary=x");
  EXPECT_GE(multipart.status, 400);
  EXPECT_LT(multipart.status, 500) << multipart.body;

  for (size_t length : {5000u, 70000u, 300000u}) {
    std::string id(length, 'A');
    HttpReply reply = flared().Call("GET", "/flare/v1/jobs/" + id);
    EXPECT_TRUE(reply.status == 0 || (reply.status >= 400 && reply.status < 500))
        << length << ": " << reply.status;
    HttpReply query = flared().Call("GET", "/flare/v1/jobs?queue=" + id);
    EXPECT_TRUE(query.status == 0 || query.status == 200 ||
                (query.status >= 400 && query.status < 500))
        << length << ": " << query.status;
  }
  HttpReply big_header = flared().Send("GET", "/flare/v1/jobs", "", "application/json",
                                       {{"X-Junk", std::string(200000, 'h')}});
  EXPECT_TRUE(big_header.status == 0 || (big_header.status >= 400 && big_header.status < 500))
      << big_header.status;

  std::mt19937 random(777);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 20; ++i) {
    std::string noise;
    for (int k = 0; k < 300 * (i + 1); ++k) noise.push_back(static_cast<char>(byte(random)));
    SendRawBytes(flared().port(), noise);
  }
  std::string bad_request = SendRawBytes(flared().port(), "GARBAGE / HTTP/9.9\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(bad_request.empty() || bad_request.rfind("HTTP/1.1 4", 0) == 0)
      << bad_request.substr(0, 100);
  std::string bad_length = SendRawBytes(
      flared().port(), "POST /flare/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}");
  EXPECT_TRUE(bad_length.empty() || bad_length.rfind("HTTP/1.1 4", 0) == 0)
      << bad_length.substr(0, 100);
  std::string huge_length = SendRawBytes(
      flared().port(),
      "POST /flare/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{}");
  EXPECT_TRUE(huge_length.empty() || huge_length.rfind("HTTP/1.1 4", 0) == 0)
      << huge_length.substr(0, 100);
  std::string truncated =
      SendRawBytes(flared().port(),
                   "POST /flare/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"job");
  EXPECT_TRUE(truncated.empty() || truncated.rfind("HTTP/1.1 4", 0) == 0)
      << truncated.substr(0, 100);
  ExpectHealthy(flared());
}

TEST(Faults, SigtermWhileALongPollWaitsExitsZeroQuickly) {
  FlaredProcess flared;
  auto poll = std::async(std::launch::async, [&] {
    return flared.Call("POST", "/flare/v1/workers/poll",
                       {{"worker_id", "w-term"}, {"queues", {"term"}}, {"wait_seconds", 30}});
  });
  std::this_thread::sleep_for(milliseconds(300));  // let it park
  auto started = Clock::now();
  int code = flared.Stop(seconds(12));
  double took = MillisBetween(started, Clock::now());
  std::printf("[ measure  ] SIGTERM with a waiting poll: exit %d after %.0f ms\n", code, took);
  EXPECT_EQ(code, 0);
  EXPECT_LT(took, 10000.0);
  ASSERT_EQ(poll.wait_for(seconds(2)), std::future_status::ready) << "the poll did not return";
  HttpReply reply = poll.get();
  EXPECT_EQ(reply.status, 200) << "the waiting poll should be answered, not dropped: "
                               << reply.body;
  EXPECT_EQ(reply.json().value("jobs", json()), json::array());
  EXPECT_EQ(flared.Log().find("AddressSanitizer"), std::string::npos);
}

TEST(Faults, LogsNeverContainTheAdminKey) {
  FlaredProcess flared;
  const std::string key = flared.admin_key();
  ASSERT_FALSE(key.empty());
  json job = CreateJob(flared, JobBody("logs"));
  GetJob(flared, job["id"]);
  flared.Call("GET", "/flare/v1/jobs?limit=5");
  flared.Call("POST", "/flare/v1/jobs", JobBody("logs", {{"max_attempts", 0}}));  // 400
  flared.Call("GET", "/flare/v1/jobs/job_01AAAAAAAAAAAAAAAAAAAAAAAA");            // 404
  flared.Call("GET", "/flare/v1/jobs", nullptr, key + "x");                       // 401, key-like
  flared.Call("GET", "/flare/v1/jobs", nullptr, key.substr(0, key.size() - 1));   // 401, key prefix
  flared.Send("GET", "/flare/v1/jobs", "", "application/json", {{"Authorization", "Basic " + key}},
              "");
  flared.Send("GET", "/flare/v1/jobs", "", "application/json", {{"Authorization", key}}, "");
  flared.Send("GET", "/flare/v1/jobs", "", "application/json", {{"X-Api-Key", key}}, "");
  flared.Call("GET", "/flare/v1/jobs?api_key=" + key + "&cursor=" + key);  // 400, key in the query
  flared.Call("POST", "/flare/v1/workers/poll",
              {{"worker_id", "w"}, {"queues", {"logs"}}, {"wait_seconds", 0}});
  flared.Call("POST", "/flare/v1/workers/ack",
              {{"job_id", job["id"]}, {"worker_id", "w"}, {"status", "succeeded"}});
  ASSERT_EQ(flared.Stop(), 0);
  std::string log = flared.Log();
  EXPECT_EQ(log.find(key), std::string::npos) << "the admin key is in the log";
  EXPECT_EQ(log.find(key.substr(0, key.size() - 1)), std::string::npos);
  EXPECT_EQ(log.find("Bearer"), std::string::npos);
  EXPECT_NE(log.find("admin.key"), std::string::npos) << "the log names where the key is";
}

}  // namespace
}  // namespace flare::testing

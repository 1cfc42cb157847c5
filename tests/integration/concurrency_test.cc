// Concurrent workers (SPEC §6): each claim is exclusive, no run is lost, and waiting polls
// neither starve other requests nor exceed --max-waiters.

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/itest.h"

namespace flare::testing {
namespace {

class Concurrency : public FlaredSuite {};

TEST_F(Concurrency, FourPollersClaimEveryJobExactlyOnce) {
  constexpr int kJobs = 300;
  constexpr int kPollers = 4;
  std::string queue = Unique("q");
  auto deadline = Clock::now() + seconds(40);

  // Jobs arrive while the pollers run: 100 in one batch, 200 from two creating threads.
  json batch = json::array();
  for (int i = 0; i < 100; ++i) batch.push_back(JobBody(queue, {{"payload", {{"i", i}}}}));
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/batch", {{"jobs", batch}}).status, 201);

  std::atomic<int> acked{0};
  std::atomic<int> errors{0};
  std::mutex mutex;
  std::map<std::string, std::vector<std::string>> claimed_by;  // job id → workers
  std::vector<std::thread> threads;
  for (int p = 0; p < kPollers; ++p) {
    threads.emplace_back([&, p] {
      std::string worker = "poller-" + std::to_string(p) + "-" + queue;
      int max_jobs = 1 + p + (p == kPollers - 1 ? 1 : 0);  // 1, 2, 3, 5
      while (acked.load() < kJobs && Clock::now() < deadline) {
        HttpReply reply = flared().Call("POST", "/flare/v1/workers/poll",
                                        {{"worker_id", worker},
                                         {"queues", {queue}},
                                         {"max_jobs", max_jobs},
                                         {"wait_seconds", 1}});
        if (reply.status != 200) {
          ++errors;
          continue;
        }
        json claims = reply.json()["jobs"];
        for (const auto& claim : claims) {
          {
            std::lock_guard lock(mutex);
            claimed_by[claim["id"]].push_back(worker);
          }
          HttpReply ack = Ack(flared(), claim, worker, "succeeded");
          if (ack.status == 200)
            ++acked;
          else
            ++errors;
        }
      }
    });
  }
  for (int c = 0; c < 2; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < 100; ++i) {
        HttpReply reply = flared().Call("POST", "/flare/v1/jobs",
                                        JobBody(queue, {{"payload", {{"c", c}, {"i", i}}}}));
        if (reply.status != 201) ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(acked.load(), kJobs) << "not all jobs were acked before the deadline";
  EXPECT_EQ(claimed_by.size(), static_cast<size_t>(kJobs));
  std::map<std::string, int> per_worker;
  for (const auto& [id, workers] : claimed_by) {
    EXPECT_EQ(workers.size(), 1u) << id << " was claimed " << workers.size() << " times";
    for (const auto& worker : workers) ++per_worker[worker];
  }
  for (const auto& [worker, count] : per_worker)
    std::printf("[ measure  ] %s claimed %d\n", worker.c_str(), count);

  // Every job of the queue is succeeded.
  int succeeded = 0;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    HttpReply reply = flared().Call("GET", "/flare/v1/jobs?limit=100&queue=" + queue +
                                               (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(reply.status, 200);
    json body = reply.json();
    for (const auto& job : body["data"]) {
      EXPECT_EQ(job["state"], "succeeded") << job["id"];
      EXPECT_EQ(job["attempt"], 1) << job["id"];
      ++succeeded;
    }
    if (!body.value("has_more", false)) break;
    cursor = body["next_cursor"];
  }
  EXPECT_EQ(succeeded, kJobs);
}

TEST_F(Concurrency, ManyWaitingPollsEachGetOneJobAndDoNotStarveOtherRequests) {
  constexpr int kWaiters = 48;
  std::string queue = Unique("q");
  std::vector<std::future<json>> polls;
  for (int i = 0; i < kWaiters; ++i) {
    polls.push_back(std::async(std::launch::async, [&, i] {
      return Poll(flared(), "waiter-" + std::to_string(i), queue, 1, 15);
    }));
  }
  std::this_thread::sleep_for(milliseconds(300));  // let them park
  // Parked polls must leave room for everything else.
  auto started = Clock::now();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(flared().Call("GET", "/healthz", nullptr, "").status, 200);
    EXPECT_EQ(flared().Call("GET", "/flare/v1/jobs?limit=1").status, 200);
  }
  double took = MillisBetween(started, Clock::now());
  std::printf("[ measure  ] 20 requests beside %d waiting polls: %.1f ms\n", kWaiters, took);
  EXPECT_LT(took, 2000.0);

  json batch = json::array();
  for (int i = 0; i < kWaiters; ++i) batch.push_back(JobBody(queue));
  ASSERT_EQ(flared().Call("POST", "/flare/v1/jobs/batch", {{"jobs", batch}}).status, 201);
  std::set<std::string> ids;
  for (auto& poll : polls) {
    ASSERT_EQ(poll.wait_for(seconds(20)), std::future_status::ready);
    json claims = poll.get();
    EXPECT_EQ(claims.size(), 1u) << "a ready job must wake a waiting poll";
    for (const auto& claim : claims) EXPECT_TRUE(ids.insert(claim["id"]).second) << "double claim";
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kWaiters));
}

TEST(ConcurrencyLimits, PollsBeyondMaxWaitersAre429WithRetryAfter) {
  FlaredProcess flared({"--max-waiters", "2"});
  std::string queue = "limited";
  // Three polls that would all wait (the queue is empty): two may, the third is refused.
  std::vector<std::future<HttpReply>> polls;
  for (int i = 0; i < 3; ++i) {
    polls.push_back(std::async(std::launch::async, [&, i] {
      return flared.Call(
          "POST", "/flare/v1/workers/poll",
          {{"worker_id", "w" + std::to_string(i)}, {"queues", {queue}}, {"wait_seconds", 8}});
    }));
  }
  int refused_index = -1;
  bool one_returned = WaitFor(
      [&] {
        for (int i = 0; i < 3; ++i) {
          if (polls[i].wait_for(milliseconds(0)) == std::future_status::ready) refused_index = i;
        }
        return refused_index >= 0;
      },
      seconds(6));
  ASSERT_TRUE(one_returned) << "no poll was refused";
  HttpReply refused = polls[refused_index].get();
  EXPECT_TRUE(IsError(refused, 429, "rate_limit_exceeded"));
  EXPECT_FALSE(refused.header("Retry-After").empty());
  // A poll that does not wait is never refused.
  HttpReply quick = flared.Call("POST", "/flare/v1/workers/poll",
                                {{"worker_id", "w4"}, {"queues", {queue}}, {"wait_seconds", 0}});
  EXPECT_EQ(quick.status, 200) << quick.body;
  // The two waiting polls are real waiters: two new jobs wake them, one each.
  CreateJob(flared, JobBody(queue));
  CreateJob(flared, JobBody(queue));
  for (int i = 0; i < 3; ++i) {
    if (i == refused_index) continue;
    ASSERT_EQ(polls[i].wait_for(seconds(8)), std::future_status::ready);
    HttpReply reply = polls[i].get();
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.json()["jobs"].size(), 1u) << reply.body;
  }
  ExpectCleanShutdown(flared);
}

}  // namespace
}  // namespace flare::testing

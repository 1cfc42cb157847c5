// Several flared nodes on one PostgreSQL database (issue 9, README "Several nodes"): work
// created through one node wakes a poll parked on another, no job is delivered twice at
// once and none is lost with 4 pollers on each of 3 nodes, a node killed under load loses
// nothing it answered, every fire of a schedule is made exactly once across the nodes (also
// when one of them dies between fires), credentials change for every node at once, a node
// with another webhook key refuses to start, and an event stream on any node carries the
// events of every node live, in one order that a stream resumed on another node continues.
//
// Nodes cannot share an SQLite file, so these run in the PostgreSQL copy of the suite only
// ("pg.MultiNode.*"); in the SQLite copy they are skipped, saying so.

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/itest.h"
#include "tests/integration/runs_helpers.h"
#include "tests/integration/sse_client.h"

namespace flare::testing {
namespace {

using runs_itest::Millis;
using runs_itest::RunsOfJob;

// Nodes sharing one database: the first creates it (its admin key, its webhook key); the
// others are given that webhook key, as the README tells an operator to do.
class Nodes {
 public:
  explicit Nodes(int count) {
    for (int i = 0; i < count; ++i) Add();
  }
  FlaredProcess& operator[](size_t i) { return *nodes_[i]; }
  size_t size() const { return nodes_.size(); }
  const std::string& uri() const { return database_.uri(); }
  std::string webhook_key_file() const {
    return (nodes_.front()->data_dir() / "webhook.key").string();
  }
  FlaredProcess& Add() {
    std::vector<std::string> args = {"--db", database_.uri()};
    if (!nodes_.empty()) args.insert(args.end(), {"--webhook-key-file", webhook_key_file()});
    nodes_.push_back(std::make_unique<FlaredProcess>(args));
    if (nodes_.size() > 1) nodes_.back()->set_admin_key(nodes_.front()->admin_key());
    return *nodes_.back();
  }

 private:
  daemon::pg::testing::TestDatabase database_;  // outlives the nodes (declared first)
  std::vector<std::unique_ptr<FlaredProcess>> nodes_;
};

class MultiNode : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestingOnPostgres())
      GTEST_SKIP() << "several nodes need a shared PostgreSQL database: see pg.MultiNode.*";
  }
};

// What the pollers saw: every claim, and any job claimed while another claim of it was
// still unanswered (delivered twice at once).
class Deliveries {
 public:
  bool Begin(const std::string& job_id) {
    std::lock_guard lock(mutex_);
    ++claims_[job_id];
    if (!in_flight_.insert(job_id).second) {
      overlapping_.push_back(job_id);
      return false;
    }
    return true;
  }
  void End(const std::string& job_id, bool acked) {
    std::lock_guard lock(mutex_);
    in_flight_.erase(job_id);
    if (acked) acked_.insert(job_id);
  }
  size_t acked() const {
    std::lock_guard lock(mutex_);
    return acked_.size();
  }
  std::vector<std::string> overlapping() const {
    std::lock_guard lock(mutex_);
    return overlapping_;
  }
  std::map<std::string, int> claims() const {
    std::lock_guard lock(mutex_);
    return claims_;
  }

 private:
  mutable std::mutex mutex_;
  std::set<std::string> in_flight_;
  std::set<std::string> acked_;
  std::map<std::string, int> claims_;
  std::vector<std::string> overlapping_;
};

// A worker loop against `node` until `stop`: claims up to 5 runs of `queue`, acks each
// succeeded. Bounded by the caller's stop flag and its own deadline.
void PollUntilStopped(const FlaredProcess* node, const std::string& worker,
                      const std::string& queue, Deliveries& seen, const std::atomic<bool>& stop,
                      const std::atomic<bool>& node_dead) {
  auto deadline = Clock::now() + seconds(90);
  while (!stop && !node_dead && Clock::now() < deadline) {
    HttpReply polled = node->Call(
        "POST", "/flare/v1/workers/poll",
        {{"worker_id", worker}, {"queues", {queue}}, {"max_jobs", 5}, {"wait_seconds", 1}});
    if (polled.status != 200) continue;  // the node is being killed: stop is near
    json answer = polled.json();
    for (const json& claim : answer["jobs"]) {
      std::string job_id = claim["id"];
      seen.Begin(job_id);
      HttpReply acked = Ack(*node, claim, worker, "succeeded");
      seen.End(job_id, acked.status == 200);
    }
  }
}

TEST_F(MultiNode, APollParkedOnOneNodeGetsAJobCreatedThroughAnother) {
  Nodes nodes(2);
  std::string queue = Unique("wake");
  std::vector<double> waits;
  for (int round = 0; round < 5; ++round) {
    std::atomic<bool> parked{false};
    json polled;
    Clock::time_point answered;
    std::thread poller([&] {
      parked = true;
      polled = Poll(nodes[0], "w-a", queue, 1, 10);
      answered = Clock::now();
    });
    while (!parked) std::this_thread::sleep_for(milliseconds(1));
    std::this_thread::sleep_for(milliseconds(200));  // parked on node A by now
    auto created = Clock::now();
    json job = CreateJob(nodes[1], JobBody(queue));
    poller.join();
    ASSERT_EQ(polled.size(), 1u) << "the poll on A ended without B's job";
    EXPECT_EQ(polled[0]["id"], job["id"]);
    waits.push_back(MillisBetween(created, answered));
  }
  std::sort(waits.begin(), waits.end());
  std::cout << "[ cross-node wake ] create on B -> poll on A answered, median " << waits[2]
            << " ms, max " << waits.back() << " ms\n";
  // The create's own round trip is inside this figure; a missed wake-up would show as the
  // 5 s safety re-check or the poll's 10 s end.
  EXPECT_LT(waits[2], 250.0);
}

// Jobs created through three nodes at once: their transactions commit in no particular
// order, and a stream must still carry each event once, with no gap, live; a stream resumed
// on another node after any of its events goes on with exactly the events that followed.
TEST_F(MultiNode, AStreamCarriesEveryNodesEventsLiveOnceAndResumesOnAnotherNodeInTheSameOrder) {
  Nodes nodes(3);
  std::string queue = Unique("sse");
  std::string path = "/flare/v1/events?type=created&queue=" + queue;
  SseClient live(nodes[0].port(), path, nodes[0].admin_key());
  ASSERT_TRUE(WaitFor([&] { return live.status() == 200; }, seconds(5)));
  constexpr int kPerNode = 20;
  std::mutex mutex;
  std::set<std::string> created;
  std::vector<std::thread> clients;
  for (size_t n = 0; n < nodes.size(); ++n) {
    clients.emplace_back([&, n] {
      for (int i = 0; i < kPerNode; ++i) {
        json job = CreateJob(nodes[n], JobBody(queue));
        std::lock_guard lock(mutex);
        created.insert(job.value("id", ""));
      }
    });
  }
  for (auto& client : clients) client.join();
  constexpr size_t kAll = 3 * kPerNode;
  ASSERT_EQ(created.size(), kAll);
  std::vector<SseFrame> frames = live.WaitForFrames(kAll, seconds(10));
  ASSERT_EQ(frames.size(), kAll) << "the live stream on node 0 missed events of other nodes";
  std::set<std::string> event_ids;
  std::set<std::string> jobs_seen;
  for (const SseFrame& frame : frames) {
    event_ids.insert(frame.id);
    jobs_seen.insert(json::parse(frame.data).value("job_id", ""));
  }
  EXPECT_EQ(event_ids.size(), kAll) << "an event came twice";
  EXPECT_EQ(jobs_seen, created);
  EXPECT_FALSE(live.WaitForFrames(kAll + 1, milliseconds(300)).size() > kAll);

  constexpr size_t kReadBeforeDrop = 25;
  SseClient resumed(nodes[2].port(), path, nodes[2].admin_key(),
                    {{"Last-Event-ID", frames[kReadBeforeDrop - 1].id}});
  std::vector<SseFrame> rest = resumed.WaitForFrames(kAll - kReadBeforeDrop, seconds(10));
  std::vector<std::string> expected, got;
  for (size_t i = kReadBeforeDrop; i < kAll; ++i) expected.push_back(frames[i].id);
  for (const SseFrame& frame : rest) got.push_back(frame.id);
  EXPECT_EQ(got, expected);
}

// A job's snapshot stream served by one node ends when the job finishes through another.
TEST_F(MultiNode, AJobSnapshotStreamEndsWhenTheJobFinishesThroughAnotherNode) {
  Nodes nodes(2);
  std::string queue = Unique("snap");
  json job = CreateJob(nodes[0], JobBody(queue));
  std::string id = job["id"];
  SseClient snapshots(nodes[0].port(), "/flare/v1/jobs/" + id + "/events", nodes[0].admin_key());
  ASSERT_EQ(snapshots.WaitForFrames(1, seconds(5)).size(), 1u);
  json claims = Poll(nodes[1], "w-b", queue, 1, 5);
  ASSERT_EQ(claims.size(), 1u);
  ASSERT_EQ(Ack(nodes[1], claims[0], "w-b", "succeeded").status, 200);
  EXPECT_TRUE(snapshots.WaitClosed(seconds(5)))
      << "the stream on node 0 did not hear that the job finished through node 1";
  std::vector<SseFrame> frames = snapshots.WaitForFrames(10, milliseconds(1));
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(json::parse(frames.back().data).value("state", ""), "succeeded");
}

TEST_F(MultiNode, ThreeNodesWithFourPollersEachDeliverEveryJobOnceAtATime) {
  Nodes nodes(3);
  std::string queue = Unique("share");
  constexpr int kJobs = 300;
  std::vector<std::string> ids;
  for (int i = 0; i < kJobs; ++i) ids.push_back(CreateJob(nodes[i % 3], JobBody(queue))["id"]);
  Deliveries seen;
  std::atomic<bool> stop{false}, never_dead{false};
  std::vector<std::thread> pollers;
  for (size_t n = 0; n < 3; ++n) {
    for (int p = 0; p < 4; ++p) {
      pollers.emplace_back(PollUntilStopped, &nodes[n],
                           "w-" + std::to_string(n) + "-" + std::to_string(p), queue,
                           std::ref(seen), std::cref(stop), std::cref(never_dead));
    }
  }
  WaitFor([&] { return seen.acked() == kJobs; }, seconds(60));
  stop = true;
  for (auto& poller : pollers) poller.join();
  EXPECT_TRUE(seen.overlapping().empty())
      << seen.overlapping().size() << " jobs held twice at once";
  EXPECT_EQ(seen.acked(), static_cast<size_t>(kJobs)) << "jobs lost";
  std::map<std::string, int> claims = seen.claims();
  int claimed_twice = 0;
  for (const auto& [id, n] : claims) claimed_twice += n > 1;
  EXPECT_EQ(claimed_twice, 0) << "a job was claimed again though its first claim was acked";
  for (const std::string& id : ids) {
    EXPECT_EQ(GetJob(nodes[1], id)["state"], "succeeded") << id;
  }
}

TEST_F(MultiNode, KillingANodeUnderLoadLosesNothingItAnsweredAndItsClaimsAreTakenOver) {
  Nodes nodes(3);
  std::string queue = Unique("kill");
  // A short timeout: the runs node C's workers held when it died come back when their
  // leases lapse.
  json body = JobBody(
      queue, {{"timeout_seconds", 2},
              {"retry", {{"strategy", "fixed"}, {"initial_delay_seconds", 1}, {"jitter", false}}}});
  Deliveries seen;
  std::atomic<bool> stop{false}, c_dead{false}, others_alive{false};
  std::vector<std::thread> pollers;
  for (size_t n = 0; n < 3; ++n) {
    for (int p = 0; p < 4; ++p) {
      pollers.emplace_back(
          PollUntilStopped, &nodes[n], "w-" + std::to_string(n) + "-" + std::to_string(p), queue,
          std::ref(seen), std::cref(stop), n == 2 ? std::cref(c_dead) : std::cref(others_alive));
    }
  }
  // Creates through every node while the pollers work; C is killed a third of the way in.
  std::vector<std::string> answered;
  for (int i = 0; i < 240; ++i) {
    if (i == 80) {
      c_dead = true;
      nodes[2].Kill9();
    }
    size_t node = c_dead ? static_cast<size_t>(i % 2) : static_cast<size_t>(i % 3);
    HttpReply created = nodes[node].Call("POST", "/flare/v1/jobs", body);
    if (created.status == 201) answered.push_back(created.json()["id"]);
  }
  ASSERT_EQ(answered.size(), 240u);
  // Every answered job ends succeeded: those C's workers held are claimed again elsewhere.
  bool all_done = WaitFor(
      [&] {
        return std::all_of(answered.begin(), answered.end(), [&](const std::string& id) {
          return nodes[0].Call("GET", "/flare/v1/jobs/" + id).json().value("state", "") ==
                 "succeeded";
        });
      },
      seconds(60));
  stop = true;
  for (auto& poller : pollers) poller.join();
  EXPECT_TRUE(all_done) << "a job answered 201 did not succeed after node C died";
  EXPECT_TRUE(seen.overlapping().empty())
      << seen.overlapping().size() << " jobs held twice at once";
  ExpectHealthy(nodes[0]);
  ExpectHealthy(nodes[1]);
}

// The schedule runs of `job_id`, in due order: one per fire.
std::vector<int64_t> FireTimes(FlaredProcess& node, const std::string& job_id) {
  std::vector<int64_t> due;
  for (const json& run : RunsOfJob(node, job_id)) {
    if (run.value("trigger", "") == "SCHEDULE") due.push_back(Millis(run["scheduled_for"]));
  }
  std::sort(due.begin(), due.end());
  return due;
}

// Each fire once: due times 1 s apart, none repeated, none skipped.
::testing::AssertionResult EachFireOnce(const std::vector<int64_t>& due) {
  for (size_t i = 1; i < due.size(); ++i) {
    if (due[i] == due[i - 1]) return ::testing::AssertionFailure() << "fire " << i << " made twice";
    if (due[i] - due[i - 1] != 1000)
      return ::testing::AssertionFailure()
             << "fires " << i - 1 << " and " << i << " are " << due[i] - due[i - 1] << " ms apart";
  }
  return ::testing::AssertionSuccess();
}

TEST_F(MultiNode, EveryFireOfAScheduleIsMadeOnceAcrossThreeNodesAlsoWhenOneDies) {
  Nodes nodes(3);
  std::string queue = Unique("cron");
  json job = CreateJob(nodes[0], JobBody(queue, {{"schedule", "@every 1s"}}));
  std::string id = job["id"];
  std::this_thread::sleep_for(milliseconds(4500));
  std::vector<int64_t> before = FireTimes(nodes[1], id);
  EXPECT_GE(before.size(), 3u);
  EXPECT_TRUE(EachFireOnce(before));
  // Node A (the one the job was created through) dies between fires; B and C go on.
  nodes[0].Kill9();
  std::this_thread::sleep_for(milliseconds(4000));
  std::vector<int64_t> after = FireTimes(nodes[1], id);
  EXPECT_GE(after.size(), before.size() + 3) << "fires stopped with node A";
  EXPECT_TRUE(EachFireOnce(after));
  EXPECT_EQ(nodes[1].Call("DELETE", "/flare/v1/jobs/" + id).status, 200);
}

// An API key made through a node: its secret and id (both empty when refused).
struct MadeKey {
  std::string secret;
  std::string id;
};

MadeKey MakeKey(const FlaredProcess& node, const std::string& scope) {
  HttpReply created =
      node.Call("POST", "/flare/v1/api-keys", {{"name", "ci"}, {"scopes", {scope}}});
  EXPECT_EQ(created.status, 201) << created.body;
  if (created.status != 201) return {};
  return {created.json()["key"].get<std::string>(), created.json()["id"].get<std::string>()};
}

TEST_F(MultiNode, AKeyRevokedThroughOneNodeFailsOnAnotherAtItsNextRequest) {
  Nodes nodes(2);
  const MadeKey made = MakeKey(nodes[0], "jobs:read");
  const std::string& key = made.secret;
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(nodes[1].Call("GET", "/flare/v1/jobs?limit=1", nullptr, key).status, 200)
      << "a key made through A works on B at once";
  EXPECT_EQ(nodes[1].Call("POST", "/flare/v1/jobs", JobBody(Unique("ro")), key).status, 403)
      << "its scopes hold on B";
  ASSERT_EQ(nodes[0].Call("DELETE", "/flare/v1/api-keys/" + made.id).status, 200);
  EXPECT_EQ(nodes[1].Call("GET", "/flare/v1/jobs?limit=1", nullptr, key).status, 401)
      << "revoked through A, still accepted by B";
}

// A create does not read its key before writing: the node accepts a key it has read before
// and the create's own transaction confirms it (README "Several nodes"). A key revoked
// through another node must still fail at once, write nothing, and fail whatever the
// request (a body refused before any write, a batch).
TEST_F(MultiNode, AKeyRevokedThroughOneNodeCreatesNothingOnAnotherThatUsedItBefore) {
  Nodes nodes(2);
  const MadeKey made = MakeKey(nodes[0], "jobs:write");
  const std::string& key = made.secret;
  ASSERT_FALSE(key.empty());
  const std::string queue = Unique("revoked");
  for (int i = 0; i < 3; ++i) {  // B reads the key once, then remembers it
    ASSERT_EQ(nodes[1].Call("POST", "/flare/v1/jobs", JobBody(queue), key).status, 201);
  }
  ASSERT_EQ(nodes[0].Call("DELETE", "/flare/v1/api-keys/" + made.id).status, 200);

  HttpReply create = nodes[1].Call("POST", "/flare/v1/jobs", JobBody(queue), key);
  EXPECT_TRUE(IsError(create, 401, "unauthorized")) << create.body;
  HttpReply batch = nodes[1].Call("POST", "/flare/v1/jobs/batch",
                                  {{"jobs", json::array({JobBody(queue), JobBody(queue)})}}, key);
  EXPECT_EQ(batch.status, 401) << batch.body;
  HttpReply bad_body = nodes[1].Call("POST", "/flare/v1/jobs", {{"queue", 7}}, key);
  EXPECT_EQ(bad_body.status, 401) << "refused before any write, still not answered 400: "
                                  << bad_body.body;
  EXPECT_EQ(nodes[1].Call("GET", "/flare/v1/jobs?limit=1", nullptr, key).status, 401);

  // Creates with the revoked key and with a valid one at once share groups on B: only the
  // valid ones are written.
  std::atomic<int> revoked_created{0}, valid_created{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 5; ++i) {
        const bool revoked = c % 2 == 0;
        HttpReply reply = revoked ? nodes[1].Call("POST", "/flare/v1/jobs", JobBody(queue), key)
                                  : nodes[1].Call("POST", "/flare/v1/jobs", JobBody(queue));
        if (reply.status == 201) ++(revoked ? revoked_created : valid_created);
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(revoked_created.load(), 0);
  EXPECT_EQ(valid_created.load(), 20);

  HttpReply listed = nodes[0].Call("GET", "/flare/v1/jobs?limit=100&queue=" + queue);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.json()["data"].size(), 23u)
      << "the creates made before the revocation and those with the valid key";
}

// Polls and acks confirm their key in their own transaction too (README "Several nodes"):
// a worker key revoked through another node fails at its next poll and ack, which change
// nothing.
TEST_F(MultiNode, AWorkerKeyRevokedThroughOneNodeNeitherClaimsNorAcksOnAnother) {
  Nodes nodes(2);
  const MadeKey made = MakeKey(nodes[0], "workers");
  ASSERT_FALSE(made.secret.empty());
  const std::string queue = Unique("revoked-worker");
  CreateJob(nodes[0], JobBody(queue));
  CreateJob(nodes[0], JobBody(queue));
  auto poll = [&] {
    return nodes[1].Call(
        "POST", "/flare/v1/workers/poll",
        {{"worker_id", "w-revoked"}, {"queues", {queue}}, {"max_jobs", 1}, {"wait_seconds", 0}},
        made.secret);
  };
  HttpReply first = poll();
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(first.json()["jobs"].size(), 1u) << first.body;
  const json claim = first.json()["jobs"][0];
  ASSERT_EQ(nodes[0].Call("DELETE", "/flare/v1/api-keys/" + made.id).status, 200);

  const json ack = {{"job_id", claim["id"]},
                    {"run_id", claim["run_id"]},
                    {"lease_id", claim["lease_id"]},
                    {"worker_id", "w-revoked"},
                    {"status", "succeeded"}};
  HttpReply acked = nodes[1].Call("POST", "/flare/v1/workers/ack", ack, made.secret);
  EXPECT_TRUE(IsError(acked, 401, "unauthorized")) << acked.body;
  HttpReply polled = poll();
  EXPECT_TRUE(IsError(polled, 401, "unauthorized")) << polled.body;

  // The refused ack left the run leased (a valid key acks it now) and the refused poll
  // claimed nothing (the other job is still there to take).
  EXPECT_EQ(nodes[1].Call("POST", "/flare/v1/workers/ack", ack).status, 200);
  EXPECT_EQ(Poll(nodes[0], "w-valid", queue, 5).size(), 1u);
}

TEST_F(MultiNode, OneIdempotencyKeySentToTwoNodesAtOnceCreatesOneJob) {
  Nodes nodes(2);
  std::string queue = Unique("idem");
  for (int round = 0; round < 10; ++round) {
    std::string key = Unique("key");
    HttpReply answers[2];
    std::vector<std::thread> clients;
    for (size_t n = 0; n < 2; ++n) {
      clients.emplace_back([&, n] {
        answers[n] = nodes[n].Call("POST", "/flare/v1/jobs", JobBody(queue), "\x01",
                                   {{"Idempotency-Key", key}});
      });
    }
    for (auto& client : clients) client.join();
    ASSERT_EQ(answers[0].status / 100, 2) << answers[0].body;
    ASSERT_EQ(answers[1].status / 100, 2) << answers[1].body;
    EXPECT_EQ(answers[0].json()["id"], answers[1].json()["id"]) << "two jobs for one key";
  }
  HttpReply listed = nodes[0].Call("GET", "/flare/v1/jobs?limit=100&queue=" + queue);
  EXPECT_EQ(listed.json()["data"].size(), 10u);
}

TEST_F(MultiNode, TheExportLimitIsSharedByTheNodes) {
  Nodes nodes(2);
  std::string window = "from=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00Z";
  EXPECT_EQ(nodes[0].Call("GET", "/flare/v1/jobs/export?" + window).status, 200);
  EXPECT_TRUE(
      IsError(nodes[1].Call("GET", "/flare/v1/jobs/export?" + window), 429, "rate_limit_exceeded"))
      << "node B let a second export of the minute through";
}

TEST_F(MultiNode, ANodeWithAnotherWebhookKeyRefusesToStartSayingWhy) {
  Nodes nodes(1);
  try {
    FlaredProcess stranger({"--db", nodes.uri()});  // a fresh data dir: a key of its own
    ADD_FAILURE() << "a node with another webhook key started";
  } catch (const std::runtime_error& e) {
    std::string log = e.what();
    EXPECT_NE(log.find("webhook key"), std::string::npos) << log;
    EXPECT_NE(log.find("--webhook-key-file"), std::string::npos) << log;
  }
  ExpectHealthy(nodes[0]);
}

}  // namespace
}  // namespace flare::testing

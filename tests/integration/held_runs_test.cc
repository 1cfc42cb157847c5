// Which run a worker's call acts on (SPEC §6): heartbeat, progress and ack act on the run
// the worker holds — named by run_id/lease_id, else the run of the job this worker holds —
// never on another run of the same job (overlapping runs: cron `allow`, trigger, rerun), and
// never on an HTTP run, which belongs to flared's executor whatever a worker calls itself.

#include <ctime>

#include "tests/integration/itest.h"
#include "tests/testutil/test_http_server.h"

namespace flare::testing {
namespace {

json GetRun(const FlaredProcess& flared, const std::string& id) {
  HttpReply reply = flared.Call("GET", "/flare/v1/runs/" + id);
  EXPECT_EQ(reply.status, 200) << id << " -> " << reply.body;
  return reply.json();
}

HttpReply Heartbeat(const FlaredProcess& flared, const std::string& worker, const json& jobs) {
  return flared.Call("POST", "/flare/v1/workers/heartbeat",
                     {{"worker_id", worker}, {"jobs", jobs}});
}

HttpReply Progress(const FlaredProcess& flared, const std::string& worker, const json& body) {
  json call = body;
  call["worker_id"] = worker;
  return flared.Call("POST", "/flare/v1/workers/progress", call);
}

// Seconds between two of flared's output times ("2026-03-18T15:30:00.123Z"), so a lease
// is measured against flared's own clock.
double SecondsBetween(const json& from, const json& to) {
  auto parse = [](const json& t) {
    std::tm tm{};
    std::string text = t.get<std::string>();
    strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    double millis = std::stod(text.substr(20, 3));
    return static_cast<double>(timegm(&tm)) + millis / 1000.0;
  };
  return parse(to) - parse(from);
}

class HeldRuns : public FlaredSuite {
 protected:
  void SetUp() override { queue_ = Unique("q"); }
  json ClaimOne(const std::string& worker) {
    json claims = Poll(flared(), worker, queue_);
    EXPECT_EQ(claims.size(), 1u);
    return claims.empty() ? json::object() : claims[0];
  }
  std::string queue_;
};

TEST_F(HeldRuns, HeartbeatProgressAndAckActOnTheRunTheWorkerHoldsNotTheJobsLatest) {
  json job = CreateJob(flared(), JobBody(queue_, {{"timeout_seconds", 60}}));
  std::string job_id = job.value("id", "");
  json first = ClaimOne("w-a");
  HttpReply trigger =
      flared().Call("POST", "/flare/v1/jobs/" + job_id + "/trigger", json::object());
  ASSERT_EQ(trigger.status, 201) << trigger.body;
  json second = ClaimOne("w-b");
  ASSERT_EQ(second.value("run_id", ""), trigger.json().value("id", "")) << second.dump();
  ASSERT_EQ(GetJob(flared(), job_id)["last_run_id"], second["run_id"])
      << "the trigger is the latest";

  // A names only the job: its own (older) run is meant, and it is not told to stop.
  HttpReply beat = Heartbeat(flared(), "w-a",
                             {{{"job_id", job_id}, {"extend_seconds", 600}, {"progress", 0.3}}});
  ASSERT_EQ(beat.status, 200) << beat.body;
  EXPECT_EQ(beat.json()["cancel"], json::array()) << "the valid holder was told to cancel";
  json mine = GetRun(flared(), first["run_id"]);
  json theirs = GetRun(flared(), second["run_id"]);
  EXPECT_GT(SecondsBetween(mine["started_at"], mine["lease_expires_at"]), 500) << mine.dump();
  EXPECT_EQ(mine["progress"], 0.3);
  EXPECT_LT(SecondsBetween(theirs["started_at"], theirs["lease_expires_at"]), 120) << theirs.dump();
  EXPECT_TRUE(theirs["progress"].is_null()) << theirs.dump();

  // Naming the run and lease acts on exactly that run.
  beat = Heartbeat(flared(), "w-a",
                   {{{"job_id", job_id},
                     {"run_id", first["run_id"]},
                     {"lease_id", first["lease_id"]},
                     {"extend_seconds", 900}}});
  ASSERT_EQ(beat.status, 200) << beat.body;
  EXPECT_EQ(beat.json()["cancel"], json::array());
  EXPECT_GT(
      SecondsBetween(mine["started_at"], GetRun(flared(), first["run_id"])["lease_expires_at"]),
      800);

  // A naming B's run (or a stale lease of its own) is told to stop that run; B keeps it.
  beat = Heartbeat(flared(), "w-a",
                   {{{"job_id", job_id}, {"run_id", second["run_id"]}, {"extend_seconds", 900}}});
  ASSERT_EQ(beat.status, 200) << beat.body;
  EXPECT_EQ(beat.json()["cancel"], json::array({job_id}));
  EXPECT_EQ(beat.json()["cancel_runs"], json::array({second["run_id"]}));
  EXPECT_EQ(GetRun(flared(), second["run_id"])["lease_expires_at"], theirs["lease_expires_at"]);
  beat = Heartbeat(flared(), "w-a", {{{"job_id", job_id}, {"lease_id", "lse_stale"}}});
  EXPECT_EQ(beat.json()["cancel"], json::array({job_id})) << beat.body;

  // Progress by job id is A's run's, with run_id it is the named run's.
  ASSERT_EQ(Progress(flared(), "w-a", {{"job_id", job_id}, {"progress", 0.6}}).status, 200);
  EXPECT_EQ(GetRun(flared(), first["run_id"])["progress"], 0.6);
  ASSERT_EQ(Progress(flared(), "w-b",
                     {{"job_id", job_id}, {"run_id", second["run_id"]}, {"progress", 0.1}})
                .status,
            200);
  EXPECT_EQ(GetRun(flared(), second["run_id"])["progress"], 0.1);
  EXPECT_EQ(GetRun(flared(), first["run_id"])["progress"], 0.6);
  EXPECT_TRUE(
      IsError(Progress(flared(), "w-a",
                       {{"job_id", job_id}, {"run_id", second["run_id"]}, {"progress", 0.9}}),
              409, "lease_lost"));

  // An ack without run_id is for the run this worker holds, not the latest.
  HttpReply ack =
      flared().Call("POST", "/flare/v1/workers/ack",
                    {{"job_id", job_id}, {"worker_id", "w-a"}, {"status", "succeeded"}});
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(ack.json()["run_id"], first["run_id"]);
  EXPECT_EQ(GetRun(flared(), first["run_id"])["state"], "succeeded");
  EXPECT_EQ(GetRun(flared(), second["run_id"])["state"], "processing");
  ASSERT_EQ(Ack(flared(), second, "w-b", "succeeded").status, 200);
  EXPECT_EQ(GetJob(flared(), job_id)["state"], "succeeded");
}

// An HTTP run is the executor's: a workers-scoped key calling itself "executor" can neither
// extend, report progress on nor finish it.
TEST(HttpRunsAndWorkers, AWorkerCannotHeartbeatProgressOrAckAnHttpRun) {
  TestHttpServer sink;
  FlaredProcess flared({"--allow-private-targets"});
  json job = CreateJob(flared, {{"http", {{"url", sink.Url("/delay/2500")}, {"method", "GET"}}},
                                {"timeout_seconds", 20},
                                {"max_attempts", 1}});
  std::string job_id = job.value("id", "");
  json run;
  ASSERT_TRUE(WaitFor([&] {
    std::string run_id = GetJob(flared, job_id).value("last_run_id", "");
    if (!run_id.empty()) run = GetRun(flared, run_id);
    return run.is_object() && run.value("state", "") == "processing";
  })) << run.dump();
  std::string run_id = run.value("id", "");

  for (const json& item :
       {json{{"job_id", job_id}, {"extend_seconds", 3600}, {"progress", 0.5}},
        json{{"job_id", job_id}, {"run_id", run_id}, {"extend_seconds", 3600}}}) {
    HttpReply beat = Heartbeat(flared, "executor", json::array({item}));
    ASSERT_EQ(beat.status, 200) << beat.body;
    EXPECT_EQ(beat.json()["cancel"], json::array({job_id})) << "an HTTP run is not this worker's";
  }
  json after = GetRun(flared, run_id);
  EXPECT_EQ(after["lease_expires_at"], run["lease_expires_at"]) << "a worker extended an HTTP run";
  EXPECT_TRUE(after["progress"].is_null()) << after.dump();
  EXPECT_TRUE(IsError(Progress(flared, "executor", {{"job_id", job_id}, {"progress", 0.5}}), 409,
                      "lease_lost"));
  for (const json& ack :
       {json{{"job_id", job_id}, {"worker_id", "executor"}, {"status", "succeeded"}},
        json{{"job_id", job_id},
             {"run_id", run_id},
             {"worker_id", "executor"},
             {"status", "failed"},
             {"retryable", false}}}) {
    EXPECT_TRUE(IsError(flared.Call("POST", "/flare/v1/workers/ack", ack), 409, "lease_lost"))
        << ack.dump();
  }
  EXPECT_EQ(GetRun(flared, run_id)["state"], "processing") << "a worker finished an HTTP run";

  // The executor still finishes it with the target's answer.
  json done;
  ASSERT_TRUE(WaitFor(
      [&] {
        done = GetRun(flared, run_id);
        return done.value("state", "") != "processing";
      },
      seconds(15)))
      << done.dump();
  EXPECT_EQ(done["state"], "succeeded") << done.dump();
  EXPECT_EQ(done["result"]["status"], 200) << done.dump();
  ExpectCleanShutdown(flared);
}

}  // namespace
}  // namespace flare::testing

// The runs API (SPEC §7): listing with filters and cursors, reading a run, MANUAL triggers,
// RERUN, and cancelling runs in each state — pending, scheduled, processing (HTTP aborted,
// worker told at its heartbeat) and terminal (409).

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/integration/runs_helpers.h"
#include "tests/testutil/test_http_server.h"

namespace flare::testing::runs_itest {
namespace {

class RunsApi : public ::testing::Test {
 protected:
  FlaredProcess& flared() { return flared_; }

  // A unique queue per test, so worker runs of one test are never claimed by another.
  static std::string Queue() {
    return std::string("q-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  HttpReply Trigger(const std::string& job, const json& body = json::object()) {
    return flared().Call("POST", "/flare/v1/jobs/" + job + "/trigger", body);
  }

  // The sink outlives flared: flared's kept-alive connections to it close with flared, so
  // the sink's threads need not sit out their keep-alive timeout when it stops.
  TestHttpServer sink_;
  FlaredProcess flared_{{"--allow-private-targets"}};
};

TEST_F(RunsApi, ListFiltersByJobSlugStateAndTriggerWithCursorPages) {
  json ok_job = CreateJob(
      flared(), HttpJobBody(sink_.Url("/status/200"), GetMethod(), {{"slug", "runs-list-ok"}}));
  json bad_job = CreateJob(
      flared(), HttpJobBody(sink_.Url("/status/500"), GetMethod(), {{"max_attempts", 1}}));
  std::string ok_id = ok_job.value("id", ""), bad_id = bad_job.value("id", "");
  std::vector<std::string> ok_runs = {WaitForFirstRun(flared(), ok_id)};
  for (int i = 0; i < 4; ++i) {
    HttpReply reply = Trigger("runs-list-ok");
    ASSERT_EQ(reply.status, 201) << reply.body;
    ok_runs.push_back(reply.json().value("id", ""));
  }
  for (const auto& id : ok_runs) EXPECT_EQ(WaitForRunDone(flared(), id)["state"], "succeeded");
  WaitForRunDone(flared(), WaitForFirstRun(flared(), bad_id));

  // job= takes the id or the slug; newest first.
  json by_id = flared().Call("GET", "/flare/v1/runs?job=" + ok_id).json();
  json by_slug = flared().Call("GET", "/flare/v1/runs?job=runs-list-ok").json();
  EXPECT_EQ(IdsOf(by_id), IdsOf(by_slug));
  EXPECT_EQ(IdsOf(by_id), std::vector<std::string>(ok_runs.rbegin(), ok_runs.rend()));
  for (const auto& run : by_id["data"]) EXPECT_EQ(run["job_id"], ok_id);

  json manual = flared().Call("GET", "/flare/v1/runs?job=" + ok_id + "&trigger=MANUAL").json();
  EXPECT_EQ(manual["data"].size(), 4u);
  for (const auto& run : manual["data"]) EXPECT_EQ(run["trigger"], "MANUAL");
  json api = flared().Call("GET", "/flare/v1/runs?job=" + ok_id + "&trigger=API").json();
  EXPECT_EQ(IdsOf(api), std::vector<std::string>{ok_runs.front()});

  json dead = flared().Call("GET", "/flare/v1/runs?state=dead_letter&job=" + bad_id).json();
  ASSERT_EQ(dead["data"].size(), 1u) << dead.dump();
  EXPECT_EQ(dead["data"][0]["failure_reason"], "NON_SUCCESS_STATUS");
  EXPECT_TRUE(
      flared().Call("GET", "/flare/v1/runs?state=succeeded&job=" + bad_id).json()["data"].empty());

  // Cursor pages of 2 walk the five runs exactly once, in order.
  std::vector<std::string> walked;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string path =
        "/flare/v1/runs?job=" + ok_id + "&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor);
    json body = flared().Call("GET", path).json();
    ASSERT_LE(body["data"].size(), 2u);
    for (const auto& id : IdsOf(body)) walked.push_back(id);
    if (!body.value("has_more", false)) {
      EXPECT_TRUE(body["next_cursor"].is_null());
      break;
    }
    cursor = body["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(walked, IdsOf(by_id));

  EXPECT_TRUE(IsApiError(flared().Call("GET", "/flare/v1/runs?state=bogus"), 400, "invalid_request",
                         "state"));
  EXPECT_TRUE(IsApiError(flared().Call("GET", "/flare/v1/runs?trigger=CRON"), 400,
                         "invalid_request", "trigger"));
  EXPECT_EQ(flared().Call("GET", "/flare/v1/runs?job=job_nope").status, 404);
  EXPECT_TRUE(IsApiError(flared().Call("GET", "/flare/v1/runs/run_01HYX3K7M8N9P2Q4R5S6T7U8V9"), 404,
                         "run_not_found"));
}

TEST_F(RunsApi, TriggerWithAPayloadMakesAManualRunThatSendsIt) {
  json job = CreateJob(flared(),
                       HttpJobBody(sink_.Url("/echo"), json::object(), {{"payload", {{"v", 1}}}}));
  std::string job_id = job.value("id", "");
  WaitForRunDone(flared(), WaitForFirstRun(flared(), job_id));
  HttpReply reply = Trigger(job_id, {{"payload", {{"v", 2}, {"why", "manual"}}}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  json run = reply.json();
  EXPECT_EQ(run["trigger"], "MANUAL");
  EXPECT_EQ(run["job_id"], job_id);
  run = WaitForRunDone(flared(), run.value("id", ""));
  ASSERT_EQ(run.value("state", ""), "succeeded") << run.dump();
  json echo = json::parse(run["result"]["body"].get<std::string>());
  EXPECT_EQ(json::parse(echo["body"].get<std::string>()), (json{{"v", 2}, {"why", "manual"}}));
  EXPECT_TRUE(
      IsApiError(Trigger(job_id, {{"paylod", json::object()}}), 400, "invalid_request", "paylod"));
  EXPECT_EQ(Trigger("job_01HYX3K7M8N9P2Q4R5S6T7U8V9").status, 404);
}

TEST_F(RunsApi, RerunMakesARerunRunAndIsRefusedOnceTheJobIsDeleted) {
  json job = CreateJob(flared(),
                       HttpJobBody(sink_.Url("/echo"), json::object(), {{"payload", {{"v", 7}}}}));
  std::string job_id = job.value("id", "");
  std::string original = WaitForFirstRun(flared(), job_id);
  WaitForRunDone(flared(), original);
  HttpReply reply = flared().Call("POST", "/flare/v1/runs/" + original + "/rerun");
  ASSERT_EQ(reply.status, 201) << reply.body;
  json rerun = reply.json();
  EXPECT_EQ(rerun["trigger"], "RERUN");
  EXPECT_EQ(rerun["rerun_of"], original);
  EXPECT_NE(rerun["id"], original);
  rerun = WaitForRunDone(flared(), rerun.value("id", ""));
  EXPECT_EQ(rerun.value("state", ""), "succeeded") << rerun.dump();
  EXPECT_EQ(sink_.requests(), 2);
  EXPECT_EQ(GetJob(flared(), job_id)["last_run_id"], rerun["id"]);

  ASSERT_EQ(flared().Call("DELETE", "/flare/v1/jobs/" + job_id).status, 200);
  EXPECT_TRUE(IsApiError(flared().Call("POST", "/flare/v1/runs/" + original + "/rerun"), 409,
                         "invalid_state"));
  EXPECT_EQ(flared().Call("POST", "/flare/v1/runs/run_01HYX3K7M8N9P2Q4R5S6T7U8V9/rerun").status,
            404);
}

TEST_F(RunsApi, CancelPendingAndScheduledRunsThenTerminalIs409) {
  // A worker job nobody polls stays pending; a run_at in an hour keeps a run scheduled.
  json pending_job =
      CreateJob(flared(), {{"job_type", "t"}, {"queue", Queue()}, {"payload", json::object()}});
  std::string pending_run = WaitForFirstRun(flared(), pending_job.value("id", ""));
  EXPECT_EQ(GetRun(flared(), pending_run)["state"], "pending");
  json scheduled_job = CreateJob(flared(), {{"job_type", "t"},
                                            {"queue", Queue()},
                                            {"payload", json::object()},
                                            {"run_at", TimeFromNow(seconds(3600))}});
  std::string scheduled_run = WaitForFirstRun(flared(), scheduled_job.value("id", ""));
  EXPECT_EQ(GetRun(flared(), scheduled_run)["state"], "scheduled");

  for (const auto& [job, run] :
       {std::pair{pending_job, pending_run}, std::pair{scheduled_job, scheduled_run}}) {
    HttpReply reply = flared().Call("POST", "/flare/v1/runs/" + run + "/cancel");
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.json()["state"], "cancelled");
    EXPECT_EQ(GetRun(flared(), run)["state"], "cancelled");
    EXPECT_EQ(GetJob(flared(), job.value("id", ""))["state"], "cancelled")
        << "the job mirrors its run";
    EXPECT_TRUE(IsApiError(flared().Call("POST", "/flare/v1/runs/" + run + "/cancel"), 409,
                           "invalid_state"));
  }
  EXPECT_EQ(flared().Call("POST", "/flare/v1/runs/run_01HYX3K7M8N9P2Q4R5S6T7U8V9/cancel").status,
            404);
}

TEST_F(RunsApi, CancellingAProcessingHttpRunAbortsTheRequest) {
  // One executor slot: if the cancelled call kept running, the next job would wait for it.
  FlaredProcess flared({"--allow-private-targets", "--executor-concurrency", "1"});
  json job = CreateJob(flared, HttpJobBody(sink_.Url("/delay/8000"), GetMethod()));
  std::string job_id = job.value("id", "");
  std::string run_id = WaitForFirstRun(flared, job_id);
  ASSERT_TRUE(sink_.WaitForRequests(1, seconds(5)));
  EXPECT_EQ(GetRun(flared, run_id)["state"], "processing");
  auto cancelled_at = std::chrono::steady_clock::now();
  HttpReply reply = flared.Call("POST", "/flare/v1/runs/" + run_id + "/cancel");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.json()["state"], "cancelled");

  json next =
      RunHttpJobOnce(flared, HttpJobBody(sink_.Url("/status/200"), GetMethod()), seconds(10));
  EXPECT_EQ(next.value("state", ""), "succeeded") << next.dump();
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, seconds(3))
      << "the executor slot was held until the 8 s call ended: the request was not aborted";
  json run = GetRun(flared, run_id);
  EXPECT_EQ(run["state"], "cancelled") << "the aborted call must not overwrite the cancel";
  EXPECT_EQ(GetJob(flared, job_id)["state"], "cancelled");
  EXPECT_TRUE(IsApiError(flared.Call("POST", "/flare/v1/runs/" + run_id + "/cancel"), 409,
                         "invalid_state"));
}

TEST_F(RunsApi, CancellingAWorkerRunTellsTheWorkerAndFencesItsAck) {
  std::string worker = "w-cancel";
  ASSERT_EQ(flared()
                .Call("POST", "/flare/v1/workers/register",
                      {{"worker_id", worker}, {"queues", {Queue()}}, {"job_types", {"t"}}})
                .status,
            200);
  json job = CreateJob(flared(), {{"job_type", "t"}, {"queue", Queue()}, {"payload", {{"n", 1}}}});
  std::string job_id = job.value("id", "");
  HttpReply polled = flared().Call(
      "POST", "/flare/v1/workers/poll",
      {{"worker_id", worker}, {"queues", {Queue()}}, {"max_jobs", 1}, {"wait_seconds", 0}});
  ASSERT_EQ(polled.status, 200) << polled.body;
  ASSERT_EQ(polled.json()["jobs"].size(), 1u) << polled.body;
  json claim = polled.json()["jobs"][0];
  std::string run_id = claim.value("run_id", "");
  EXPECT_EQ(GetRun(flared(), run_id)["state"], "processing");

  HttpReply cancelled = flared().Call("POST", "/flare/v1/runs/" + run_id + "/cancel");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.json()["state"], "cancelled");
  EXPECT_EQ(GetJob(flared(), job_id)["state"], "cancelled");

  HttpReply beat =
      flared().Call("POST", "/flare/v1/workers/heartbeat",
                    {{"worker_id", worker}, {"jobs", {{{"job_id", job_id}, {"progress", 0.5}}}}});
  ASSERT_EQ(beat.status, 200) << beat.body;
  json cancel = beat.json()["cancel"];
  EXPECT_NE(std::find(cancel.begin(), cancel.end(), json(job_id)), cancel.end()) << beat.body;
  HttpReply ack = flared().Call("POST", "/flare/v1/workers/ack",
                                {{"job_id", job_id},
                                 {"run_id", run_id},
                                 {"lease_id", claim["lease_id"]},
                                 {"worker_id", worker},
                                 {"status", "succeeded"}});
  EXPECT_TRUE(IsApiError(ack, 409, "lease_lost"));
  EXPECT_EQ(GetRun(flared(), run_id)["state"], "cancelled");
}

TEST_F(RunsApi, TheJobMirrorsItsLatestRun) {
  json job = CreateJob(flared(), HttpJobBody(sink_.Url("/status/200"), GetMethod()));
  std::string job_id = job.value("id", "");
  WaitForRunDone(flared(), WaitForFirstRun(flared(), job_id));
  // Point the job at a failing status: the MANUAL run dead-letters and the job follows it.
  ASSERT_EQ(flared()
                .Call("PATCH", "/flare/v1/jobs/" + job_id,
                      {{"http", {{"url", sink_.Url("/status/500")}, {"method", "GET"}}},
                       {"max_attempts", 1}})
                .status,
            200);
  HttpReply reply = Trigger(job_id);
  ASSERT_EQ(reply.status, 201) << reply.body;
  json run = WaitForRunDone(flared(), reply.json().value("id", ""));
  json mirrored = GetJob(flared(), job_id);
  EXPECT_EQ(mirrored["last_run_id"], run["id"]);
  for (const char* field :
       {"state", "attempt", "started_at", "completed_at", "duration_ms", "error", "progress"}) {
    EXPECT_EQ(mirrored[field], run[field]) << field;
  }
  EXPECT_EQ(mirrored["state"], "dead_letter");
}

}  // namespace
}  // namespace flare::testing::runs_itest

// Recurring jobs: fires, misfire policies after downtime, concurrency policies, pause.

#include "daemon/service/http_work.h"
#include "tests/unit/daemon/service_fixture.h"

namespace flare::daemon {
namespace {

using namespace std::chrono_literals;

nlohmann::json Every(const char* every, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json body = {
      {"job_type", "tick"}, {"payload", nlohmann::json::object()}, {"schedule", every}};
  body.update(extra);
  return body;
}

int RunCount(RunService& runs, const std::string& job_id) {
  return static_cast<int>(
      runs.List("prj_test", {job_id, std::nullopt, ""}, "", 100).value().items.size());
}

nlohmann::json EveryHttp(const char* every, const std::string& path) {
  return {{"schedule", every}, {"http", {{"url", "http://127.0.0.1:9" + path}, {"method", "GET"}}}};
}

// An executor with `room` call slots that keeps the runs it is handed instead of calling.
class HoldingStarter final : public HttpRunStarter {
 public:
  explicit HoldingStarter(int room) : room_(room) {}
  bool TryReserve() override {
    if (room_ == 0) return false;
    --room_;
    return true;
  }
  void Begun(HttpWork work) override { begun.push_back(std::move(work)); }
  void Release() override { ++room_; }
  const std::string& node_id() const override { return node_; }
  void FiresPending(bool more) override { fires_pending.push_back(more); }

  std::vector<HttpWork> begun;
  std::vector<bool> fires_pending;  // what each timer pass said

 private:
  int room_;
  std::string node_ = "node_test";
};

TEST_F(ServiceTest, RecurringJobStartsScheduledWithNextRunAt) {
  auto job = MustCreate(Every("*/5 * * * *"));
  EXPECT_EQ(job["state"], "scheduled");
  EXPECT_EQ(job["next_run_at"], "2026-03-08T06:05:00.000Z");
  EXPECT_TRUE(job["last_run_id"].is_null());
}

TEST_F(ServiceTest, EachFireMakesOneScheduleRunAndKeepsThePhase) {
  auto job = MustCreate(Every("@every 10s"));
  for (int i = 1; i <= 3; ++i) {
    Advance(10s);
    EXPECT_EQ(Tick().fired, 1);
    auto now = Job(job["id"]);
    EXPECT_EQ(now["state"], "pending");
    EXPECT_EQ(now["next_run_at"],
              FormatTime(*ParseTime("2026-03-08T06:00:00Z") + std::chrono::seconds(10 * (i + 1))));
  }
  auto runs = RunsOf(job["id"]);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0]["trigger"], "SCHEDULE");
  EXPECT_EQ(runs[0]["scheduled_for"], "2026-03-08T06:00:30.000Z");
}

TEST_F(ServiceTest, MisfireRunOnceMakesOneCatchUpRun) {
  auto job = MustCreate(Every("@every 1m", {{"misfire_policy", "run_once"}}));
  Advance(10min + 30s);  // ten fires missed
  EXPECT_EQ(Tick().fired, 1);
  EXPECT_EQ(RunCount(runs_, job["id"]), 1);
  EXPECT_EQ(Job(job["id"])["next_run_at"], "2026-03-08T06:11:00.000Z");
}

TEST_F(ServiceTest, MisfireSkipDropsMissedFires) {
  auto job = MustCreate(Every("@every 1m", {{"misfire_policy", "skip"}}));
  Advance(10min + 30s);
  EXPECT_EQ(Tick().fired, 0);
  EXPECT_EQ(RunCount(runs_, job["id"]), 0);
  EXPECT_EQ(Job(job["id"])["next_run_at"], "2026-03-08T06:11:00.000Z");
}

TEST_F(ServiceTest, MisfireRunAllRunsEveryMissedFireUpToTheCap) {
  auto job = MustCreate(Every("@every 1m", {{"misfire_policy", "run_all"}}));
  Advance(10min + 30s);
  EXPECT_EQ(Tick().fired, 10);
  EXPECT_EQ(RunCount(runs_, job["id"]), 10);
}

TEST_F(ServiceTest, FiresDueBeforeARestartAreMissedEvenWithinTheGrace) {
  auto skip = MustCreate(Every("@every 1s", {{"misfire_policy", "skip"}}));
  auto once = MustCreate(Every("@every 1s", {{"misfire_policy", "run_once"}}));
  auto all = MustCreate(Every("@every 1s", {{"misfire_policy", "run_all"}}));
  Advance(5s + 500ms);  // down for five fires, each less than kMisfireGrace ago
  TimerService restarted(context_, node_);
  EXPECT_EQ(restarted.ProcessDue().value().fired, 1 + 5);
  EXPECT_EQ(RunCount(runs_, skip["id"]), 0);
  EXPECT_EQ(RunCount(runs_, once["id"]), 1);
  EXPECT_EQ(RunCount(runs_, all["id"]), 5);
  // The running daemon is merely late: a fire within the grace is on time and runs.
  Advance(1s);
  EXPECT_EQ(restarted.ProcessDue().value().fired, 3);
}

TEST_F(ServiceTest, ForbidSkipsAFireWhileARunIsActiveAndRecordsIt) {
  auto job = MustCreate(Every("@every 10s", {{"concurrency_policy", "forbid"}}));
  Advance(10s);
  EXPECT_EQ(Tick().fired, 1);
  ASSERT_EQ(Claim().size(), 1u);  // the run is processing
  Advance(10s);
  EXPECT_EQ(Tick().fired, 0);
  EXPECT_EQ(RunCount(runs_, job["id"]), 1);
  auto events = EventsOf(job["id"]);
  EXPECT_EQ(events[0]["type"], "skipped");
}

TEST_F(ServiceTest, ReplaceCancelsTheActiveRun) {
  auto job = MustCreate(Every("@every 10s", {{"concurrency_policy", "replace"}}));
  Advance(10s);
  Tick();
  auto first = Claim();
  ASSERT_EQ(first.size(), 1u);
  Advance(10s);
  EXPECT_EQ(Tick().fired, 1);
  auto old_run = Run(first[0]["run_id"]);
  EXPECT_EQ(old_run["state"], "cancelled");
  EXPECT_EQ(Job(job["id"])["state"], "pending");
}

// A fire that finds a call slot free is begun in the fire's own transaction (the run is
// stored once, already processing); one that finds none is stored pending and announced.
TEST_F(ServiceTest, AFireWithACallSlotFreeIsBegunAtOnceAndTheNextWaitsPending) {
  HoldingStarter starter(1);
  notifier_.starter = &starter;
  auto taken = MustCreate(EveryHttp("@every 10s", "/taken"));
  auto waiting = MustCreate(EveryHttp("@every 10s", "/waiting"));
  Advance(10s);
  EXPECT_EQ(Tick().fired, 2);

  ASSERT_EQ(starter.begun.size(), 1u);
  const HttpWork& work = starter.begun[0];
  auto begun = Run(work.run_id);
  EXPECT_EQ(begun["job_id"], taken["id"]);
  EXPECT_EQ(begun["state"], "processing");
  EXPECT_EQ(begun["attempt"], 1);
  EXPECT_EQ(begun["trigger"], "SCHEDULE");
  EXPECT_EQ(begun["started_at"], "2026-03-08T06:00:10.000Z");
  EXPECT_EQ(work.call.url, "http://127.0.0.1:9/taken");
  // The work carries the spec the fire read, for the finish to hand back instead of
  // parsing it again.
  ASSERT_NE(work.spec, nullptr);
  ASSERT_TRUE(work.spec->spec.http);
  EXPECT_EQ(work.spec->spec.http->url, "http://127.0.0.1:9/taken");
  auto job = Job(taken["id"]);
  EXPECT_EQ(job["state"], "processing");
  EXPECT_EQ(job["last_run_id"], work.run_id);
  EXPECT_EQ(job["next_run_at"], "2026-03-08T06:00:20.000Z");
  auto events = EventsOf(taken["id"]);  // newest first
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["type"], "started");
  EXPECT_EQ(events[0]["run_id"], work.run_id);
  EXPECT_EQ(events[1]["type"], "scheduled");
  EXPECT_EQ(events[2]["type"], "created");

  auto runs = RunsOf(waiting["id"]);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["state"], "pending");
  EXPECT_EQ(Job(waiting["id"])["state"], "pending");
  EXPECT_EQ(notifier_.http_ready, std::vector<std::string>{runs[0]["id"].get<std::string>()});
  // The fire read the job: the announcement carries its spec, for the executor's begin to
  // hand back instead of parsing it again.
  ASSERT_EQ(notifier_.http_ready_specs.size(), 1u);
  ASSERT_NE(notifier_.http_ready_specs[0], nullptr);
  ASSERT_TRUE(notifier_.http_ready_specs[0]->spec.http);
  EXPECT_EQ(notifier_.http_ready_specs[0]->spec.http->url, "http://127.0.0.1:9/waiting");
}

// A pass that fires as many jobs as one transaction takes tells the executor that more
// are due at once, so their outcomes wait for the rest of the burst; the pass that ends
// the burst, and any pass without fires, says it is over.
TEST_F(ServiceTest, TheTimerTellsTheExecutorWhileABurstOfFiresGoesOn) {
  HoldingStarter starter(1000);
  notifier_.starter = &starter;
  for (int i = 0; i < 101; ++i) MustCreate(EveryHttp("@every 10s", "/burst"));
  Advance(10s);
  DueOutcome first = Tick();
  EXPECT_EQ(first.fired, 100);  // one transaction's share of the burst
  EXPECT_TRUE(first.more);
  EXPECT_EQ(Tick().fired, 1);
  EXPECT_EQ(Tick().fired, 0);
  EXPECT_EQ(starter.fires_pending, (std::vector<bool>{true, false, false}));
  EXPECT_EQ(starter.begun.size(), 101u);
}

TEST_F(ServiceTest, PausedJobDoesNotFireAndResumeDoesNotCatchUp) {
  auto job = MustCreate(Every("@every 10s"));
  ASSERT_TRUE(jobs_.Update(kProject, job["id"], {{"enabled", false}}).ok());
  EXPECT_TRUE(Job(job["id"])["next_run_at"].is_null());
  Advance(1min);
  EXPECT_EQ(Tick().fired, 0);
  auto resumed = JobView(jobs_.Update(kProject, job["id"], {{"enabled", true}}).value());
  EXPECT_EQ(resumed["next_run_at"], "2026-03-08T06:01:10.000Z");
  EXPECT_EQ(Tick().fired, 0);
  EXPECT_EQ(RunCount(runs_, job["id"]), 0);
}

TEST_F(ServiceTest, ScheduleChangeRecomputesNextRunAt) {
  auto job = MustCreate(Every("0 * * * *"));
  EXPECT_EQ(job["next_run_at"], "2026-03-08T07:00:00.000Z");
  auto changed = JobView(jobs_
                             .Update(kProject, job["id"],
                                     {{"schedule", "30 6 * * *"}, {"timezone", "America/New_York"}})
                             .value());
  // 06:30 in New York on 2026-03-08 (EDT from 02:00 local that day) is 10:30Z.
  EXPECT_EQ(changed["next_run_at"], "2026-03-08T10:30:00.000Z");
  EXPECT_EQ(changed["version"], 2);
}

}  // namespace
}  // namespace flare::daemon

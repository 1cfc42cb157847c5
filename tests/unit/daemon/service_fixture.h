#pragma once
// Services over a real SQLite file in a temp dir, with a fake clock and a notifier that
// records what the engines would have been told. No threads but the writer's.

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "daemon/api/page_view.h"
#include "daemon/api/worker_views.h"
#include "daemon/log.h"
#include "daemon/service/job_service.h"
#include "daemon/service/run_service.h"
#include "daemon/service/timer_service.h"
#include "daemon/service/views.h"
#include "daemon/service/worker_service.h"
#include "daemon/store/reader_pool.h"
#include "daemon/store/writer.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {

class RecordingNotifier final : public WorkNotifier {
 public:
  void WorkerRunReady(const std::string&, const std::string& queue, const std::string&) override {
    ready_queues.push_back(queue);
  }
  void HttpRunReady(const PendingHttpRun& run) override {
    http_ready.push_back(run.run_id);
    http_ready_specs.push_back(run.spec);
  }
  void WakeAt(TimePoint t) override { wakes.push_back(t); }
  void RunCancelled(const std::string& run_id) override { cancelled.push_back(run_id); }
  HttpRunStarter* http_starter() override { return starter; }
  ParkedPolls* parked_polls() override { return polls; }
  std::vector<std::string> ready_queues, http_ready, cancelled;
  std::vector<std::shared_ptr<const ParsedSpec>> http_ready_specs;  // as http_ready announced
  HttpRunStarter* starter = nullptr;  // none: every HTTP run is announced
  ParkedPolls* polls = nullptr;       // none: every worker run is announced
  std::vector<TimePoint> wakes;
};

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest()
      : clock_(*ParseTime("2026-03-08T06:00:00Z")),
        writer_((dir_ / "flare.db").string(), Durability::kNormal, clock_),
        readers_((dir_ / "flare.db").string(), Durability::kNormal),
        context_{writer_, readers_, clock_, notifier_},
        jobs_(context_),
        workers_(context_),
        runs_(context_),
        timer_(context_, node_) {
    ConfigureLog(LogFormat::kText, LogLevel::kWarn);
  }

  nlohmann::json MustCreate(nlohmann::json body) {
    auto created = jobs_.Create(kProject, body, "");
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return created.ok() ? JobView(created->job) : nlohmann::json();
  }
  // Jobs, runs and events as a client reads them on the wire.
  nlohmann::json Job(const std::string& id) { return JobView(jobs_.Get(kProject, id).value()); }
  nlohmann::json RunsOf(const std::string& job_id, int limit = 10) {
    return PageView(runs_.List(kProject, {job_id, std::nullopt, ""}, "", limit).value(),
                    RunView)["data"];
  }
  nlohmann::json Run(const std::string& run_id) {
    return RunView(runs_.Get(kProject, run_id).value());
  }
  nlohmann::json EventsOf(const std::string& job_id, int limit = 10) {
    return PageView(jobs_.Events(kProject, job_id, "", limit).value(), EventView)["data"];
  }
  /// The claimed jobs as a worker sees them on the wire (what its acks name).
  nlohmann::json Claim(const std::string& queue = "default", int max_jobs = 1) {
    PollRequest request{"w1", {queue}, {}, max_jobs, 0};
    return nlohmann::json::parse(PollAnswerText(workers_.Claim(kProject, request).value()))["jobs"];
  }
  DueOutcome Tick() { return timer_.ProcessDue().value(); }
  void Advance(std::chrono::milliseconds d) { clock_.Advance(d); }

  static constexpr const char* kProject = "prj_test";
  // This process's node: alone on its database, like flared on SQLite (node_service.h).
  const NodeIdentity node_{"node_test", false, ""};
  testing::TempDir dir_;
  testing::FakeClock clock_;
  RecordingNotifier notifier_;
  Writer writer_;
  ReaderPool readers_;
  ServiceContext context_;
  JobService jobs_;
  WorkerService workers_;
  RunService runs_;
  TimerService timer_;
};

}  // namespace flare::daemon

// Usage and metrics at the service level, over a real database with a fake clock: the
// counters move with the work (schema triggers for counts, the recorder for latencies), stay
// inside their project, and every bad parameter is a 400 naming its field.

#include <gtest/gtest.h>

#include "daemon/api/metrics_views.h"
#include "daemon/api/usage_views.h"
#include "daemon/api/worker_views.h"
#include "daemon/log.h"
#include "daemon/service/job_service.h"
#include "daemon/service/metrics_service.h"
#include "daemon/service/usage_service.h"
#include "daemon/service/worker_service.h"
#include "daemon/store/reader_pool.h"
#include "daemon/store/writer.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/temp_dir.h"

namespace flare::daemon {
namespace {

class ObservedNotifier final : public WorkNotifier {
 public:
  explicit ObservedNotifier(EventObserver& observer) : observer_(observer) {}
  void WorkerRunReady(const std::string&, const std::string&, const std::string&) override {}
  void HttpRunReady(const PendingHttpRun&) override {}
  void WakeAt(TimePoint) override {}
  void RunCancelled(const std::string&) override {}
  EventObserver* events() override { return &observer_; }

 private:
  EventObserver& observer_;
};

constexpr const char* kMine = "prj_mine";
constexpr const char* kOtherProjectId = "prj_other";

class UsageMetricsTest : public ::testing::Test {
 protected:
  UsageMetricsTest()
      : clock_(*ParseTime("2026-03-08T06:00:00Z")),
        notifier_(recorder_),
        writer_((dir_ / "flare.db").string(), Durability::kNormal, clock_),
        readers_((dir_ / "flare.db").string(), Durability::kNormal),
        context_{writer_, readers_, clock_, notifier_},
        jobs_(context_),
        workers_(context_),
        metrics_(context_, recorder_),
        usage_(context_) {
    ConfigureLog(LogFormat::kText, LogLevel::kWarn);
  }

  std::string Create(const std::string& project, const std::string& queue) {
    auto created = jobs_.Create(
        project, {{"job_type", "t"}, {"queue", queue}, {"payload", nlohmann::json::object()}}, "");
    EXPECT_TRUE(created.ok());
    return created.ok() ? created->id : "";
  }
  // Claims one run of `queue` after `wait`, and acks it after `run_ms`.
  void Work(const std::string& project, const std::string& queue, bool ok,
            std::chrono::milliseconds wait, int run_ms) {
    clock_.Advance(wait);
    PollRequest poll{"w1", {queue}, {}, 1, 0};
    auto claimed =
        nlohmann::json::parse(PollAnswerText(workers_.Claim(project, poll).value()))["jobs"];
    ASSERT_EQ(claimed.size(), 1u);
    clock_.Advance(std::chrono::milliseconds(run_ms));
    nlohmann::json ack = {{"job_id", claimed[0]["id"]}, {"run_id", claimed[0]["run_id"]},
                          {"worker_id", "w1"},          {"status", ok ? "succeeded" : "failed"},
                          {"duration_ms", run_ms},      {"retryable", false}};
    auto acked = workers_.Ack(project, ack);
    ASSERT_TRUE(acked.ok()) << acked.error().message;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  MetricsRecorder recorder_;
  ObservedNotifier notifier_;
  Writer writer_;
  ReaderPool readers_;
  ServiceContext context_;
  JobService jobs_;
  WorkerService workers_;
  MetricsService metrics_;
  UsageService usage_;
};

TEST_F(UsageMetricsTest, UsageCountsRunsAndActiveJobsOfTheProjectOnly) {
  for (int i = 0; i < 3; ++i) Create(kMine, "default");
  Create(kOtherProjectId, "default");
  Work(kMine, "default", true, std::chrono::milliseconds(100), 20);
  Work(kMine, "default", false, std::chrono::milliseconds(100), 20);
  auto mine = MonthUsageView(usage_.Usage(kMine, "2026-03").value());
  EXPECT_EQ(mine["period"], "2026-03");
  EXPECT_EQ(mine["runs_used"], 3);
  EXPECT_EQ(mine["runs_succeeded"], 1);
  EXPECT_EQ(mine["runs_failed"], 1);
  EXPECT_EQ(mine["runs_included"], -1);
  EXPECT_EQ(mine["active_jobs_limit"], -1);
  EXPECT_EQ(usage_.Usage(kMine, "").value().period, "2026-03");
  EXPECT_EQ(usage_.Usage(kMine, "2026-02").value().total.runs, 0);
  EXPECT_EQ(usage_.Usage(kOtherProjectId, "current").value().total.runs, 1);
  EXPECT_EQ(usage_.Usage(kOtherProjectId, "current").value().total.succeeded, 0);
}

TEST_F(UsageMetricsTest, ActiveJobsFollowEnableDisableAndDelete) {
  auto cron = jobs_.Create(
      kMine, {{"job_type", "t"}, {"schedule", "0 * * * *"}, {"payload", nlohmann::json::object()}},
      "");
  ASSERT_TRUE(cron.ok());
  Create(kMine, "default");  // a one-off that fires at once disables itself
  EXPECT_EQ(usage_.Usage(kMine, "").value().active_jobs, 1);
  std::string id = cron->id;
  ASSERT_TRUE(jobs_.Update(kMine, id, {{"enabled", false}}).ok());
  EXPECT_EQ(usage_.Usage(kMine, "").value().active_jobs, 0);
  ASSERT_TRUE(jobs_.Update(kMine, id, {{"enabled", true}}).ok());
  EXPECT_EQ(usage_.Usage(kMine, "").value().active_jobs, 1);
  ASSERT_TRUE(jobs_.Delete(kMine, id).ok());
  EXPECT_EQ(usage_.Usage(kMine, "").value().active_jobs, 0);
}

TEST_F(UsageMetricsTest, DailyUsageIsZeroFilledAndCsvMatchesJson) {
  Create(kMine, "default");
  Work(kMine, "default", true, std::chrono::milliseconds(10), 5);
  clock_.Advance(std::chrono::hours(24));
  Create(kMine, "default");
  UsageDays days = usage_.Daily(kMine, "3").value();
  auto daily = UsageDaysView(days);
  EXPECT_EQ(daily["days"], 3);
  ASSERT_EQ(daily["data"].size(), 3u);
  EXPECT_EQ(daily["data"][0]["date"], "2026-03-07");
  EXPECT_EQ(daily["data"][0]["runs"], 0);
  EXPECT_EQ(daily["data"][1]["date"], "2026-03-08");
  EXPECT_EQ(daily["data"][1]["runs"], 1);
  EXPECT_EQ(daily["data"][1]["succeeded"], 1);
  EXPECT_EQ(daily["data"][2]["runs"], 1);
  EXPECT_EQ(usage_.Daily(kMine, "").value().days.size(), 30u);
  EXPECT_EQ(UsageDaysCsv(days),
            "date,runs,succeeded,failed,webhook_deliveries\r\n"
            "2026-03-07,0,0,0,0\r\n"
            "2026-03-08,1,1,0,0\r\n"
            "2026-03-09,1,0,0,0\r\n");
}

TEST_F(UsageMetricsTest, WebhookDeliveriesCountInUsageAndPrometheus) {
  ASSERT_TRUE(writer_
                  .Run<Ok>([](Tx& tx) -> Status {
                    UsageService::CountWebhookDelivery(tx, kMine);
                    UsageService::CountWebhookDelivery(tx, kMine);
                    return Ok{};
                  })
                  .ok());
  recorder_.CountWebhookDelivery(kMine, "succeeded");
  recorder_.CountWebhookDelivery(kMine, "failed");
  recorder_.CountWebhookDelivery(kMine, "succeeded");
  EXPECT_EQ(usage_.Usage(kMine, "").value().total.webhook_deliveries, 2);
  EXPECT_EQ(usage_.Daily(kMine, "1").value().days.at(0).webhook_deliveries, 2);
  EXPECT_EQ(usage_.Usage(kOtherProjectId, "").value().total.webhook_deliveries, 0);
  std::string text = metrics_.Prometheus(kMine).value();
  EXPECT_NE(text.find("flare_webhook_deliveries_total{outcome=\"succeeded\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("flare_webhook_deliveries_total{outcome=\"failed\"} 1\n"), std::string::npos);
  EXPECT_EQ(metrics_.Prometheus(kOtherProjectId).value().find("outcome="), std::string::npos);
}

TEST_F(UsageMetricsTest, SummaryHasCountsRateAndPercentilesOfThePeriod) {
  for (int i = 0; i < 4; ++i) Create(kMine, "default");
  Work(kMine, "default", true, std::chrono::milliseconds(1000), 100);
  Work(kMine, "default", true, std::chrono::milliseconds(1000), 100);
  Work(kMine, "default", false, std::chrono::milliseconds(1000), 100);
  auto summary = MetricsSummaryView(metrics_.Summary(kMine, "1h").value());
  EXPECT_EQ(summary["counts"]["created"], 4);
  EXPECT_EQ(summary["counts"]["succeeded"], 2);
  EXPECT_EQ(summary["counts"]["failed"], 1);
  EXPECT_EQ(summary["current"]["pending"], 1);
  EXPECT_NEAR(summary["success_rate"].get<double>(), 2.0 / 3.0, 1e-9);
  EXPECT_EQ(summary["duration_ms"]["count"], 3);
  EXPECT_EQ(summary["duration_ms"]["p50"], 100);
  // Waits: 1000, 2100, 3200 ms (each claim comes after the previous ack).
  EXPECT_EQ(summary["queue_wait_ms"]["count"], 3);
  EXPECT_NEAR(summary["queue_wait_ms"]["p50"].get<double>(), 2100, 210);
  EXPECT_NEAR(summary["queue_wait_ms"]["p99"].get<double>(), 3200, 320);
  EXPECT_TRUE(summary["http_target_ms"]["p50"].is_null());
  // Two hours later the 1h window is empty, the 24h one is not.
  clock_.Advance(std::chrono::hours(2));
  auto later = MetricsSummaryView(metrics_.Summary(kMine, "1h").value());
  EXPECT_EQ(later["counts"]["created"], 0);
  EXPECT_TRUE(later["success_rate"].is_null());
  EXPECT_EQ(later["duration_ms"]["count"], 0);
  EXPECT_EQ(MetricsSummaryView(metrics_.Summary(kMine, "24h").value())["duration_ms"]["count"], 3);
  EXPECT_EQ(
      MetricsSummaryView(metrics_.Summary(kOtherProjectId, "24h").value())["counts"]["created"], 0);
  EXPECT_EQ(
      MetricsSummaryView(metrics_.Summary(kOtherProjectId, "24h").value())["duration_ms"]["count"],
      0);
}

TEST_F(UsageMetricsTest, PerMinuteCountsOlderThanTheLongestPeriodArePruned) {
  auto minutes = [&] {
    return (*readers_.Borrow()).db().execAndGet("SELECT COUNT(*) FROM run_stats_minute").getInt();
  };
  Create(kMine, "default");
  ASSERT_EQ(minutes(), 1);
  clock_.Advance(std::chrono::hours(24 * 30));
  Create(kMine, "default");
  ASSERT_TRUE(metrics_.PruneOldStats().ok());
  EXPECT_EQ(minutes(), 2) << "30 days old: still inside the 30d period";
  clock_.Advance(std::chrono::hours(24 * 2));
  ASSERT_TRUE(metrics_.PruneOldStats().ok());
  EXPECT_EQ(minutes(), 1) << "32 days old: pruned; the newer minute stays";
}

TEST_F(UsageMetricsTest, ThroughputBucketsAreAlignedAndZeroFilled) {
  Create(kMine, "default");
  clock_.Advance(std::chrono::minutes(5));
  Create(kMine, "default");
  Work(kMine, "default", true, std::chrono::milliseconds(0), 10);
  auto t = ThroughputView(metrics_.Throughput(kMine, "1h", "5m").value());
  ASSERT_EQ(t["data"].size(), 12u);
  EXPECT_EQ(t["bucket_seconds"], 300);
  const auto& last = t["data"][11];
  EXPECT_EQ(last["start"], "2026-03-08T06:05:00.000Z");
  EXPECT_EQ(last["created"], 1);
  EXPECT_EQ(last["succeeded"], 1);
  EXPECT_EQ(t["data"][10]["created"], 1);
  EXPECT_EQ(t["data"][0]["created"], 0);
  EXPECT_EQ(ThroughputView(metrics_.Throughput(kMine, "24h", "1h").value())["data"].size(), 24u);
  EXPECT_EQ(ThroughputView(metrics_.Throughput(kMine, "30d", "1d").value())["data"].size(), 30u);
}

TEST_F(UsageMetricsTest, QueueDepthsFollowEveryTransition) {
  Create(kMine, "emails");
  Create(kMine, "emails");
  Create(kMine, "reports");
  Create(kOtherProjectId, "secret-queue");
  auto queues = QueueDepthsView(metrics_.Queues(kMine).value())["data"];
  ASSERT_EQ(queues.size(), 2u);
  EXPECT_EQ(queues[0]["queue"], "emails");
  EXPECT_EQ(queues[0]["pending"], 2);
  PollRequest poll{"w1", {"emails"}, {}, 1, 0};
  ASSERT_EQ(workers_.Claim(kMine, poll).value().size(), 1u);
  queues = QueueDepthsView(metrics_.Queues(kMine).value())["data"];
  EXPECT_EQ(queues[0]["pending"], 1);
  EXPECT_EQ(queues[0]["processing"], 1);
  EXPECT_EQ(queues[1]["queue"], "reports");
  EXPECT_EQ(queues[1]["pending"], 1);
  std::string text = metrics_.Prometheus(kMine).value();
  EXPECT_NE(text.find("flare_queue_depth{queue=\"emails\",state=\"processing\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("flare_runs_total{queue=\"emails\",state=\"pending\"} 2\n"),
            std::string::npos);
  EXPECT_EQ(text.find("secret-queue"), std::string::npos);
}

TEST_F(UsageMetricsTest, EveryBadParameterIsA400NamingItsField) {
  struct Case {
    Status result;
    const char* field;
  };
  auto status = [](const auto& result) -> Status {
    if (result.ok()) return Ok{};
    return result.error();
  };
  Case cases[] = {
      {status(usage_.Usage(kMine, "2026-13")), "period"},
      {status(usage_.Usage(kMine, "26-03")), "period"},
      {status(usage_.Usage(kMine, "2026-03-01")), "period"},
      {status(usage_.Daily(kMine, "0")), "days"},
      {status(usage_.Daily(kMine, "91")), "days"},
      {status(usage_.Daily(kMine, "ten")), "days"},
      {status(usage_.Daily(kMine, "5x")), "days"},
      {status(metrics_.Summary(kMine, "2h")), "period"},
      {status(metrics_.Throughput(kMine, "1w", "1h")), "period"},
      {status(metrics_.Throughput(kMine, "24h", "2m")), "granularity"},
      {status(metrics_.Throughput(kMine, "1h", "1d")), "granularity"},   // longer than the period
      {status(metrics_.Throughput(kMine, "30d", "1m")), "granularity"},  // 43200 buckets
      {status(metrics_.Throughput(kMine, "30d", "5m")), "granularity"},
  };
  for (const Case& c : cases) {
    ASSERT_FALSE(c.result.ok()) << c.field;
    EXPECT_EQ(c.result.error().code, ErrorCode::kInvalidRequest);
    EXPECT_EQ(c.result.error().field, c.field);
    EXPECT_FALSE(c.result.error().message.empty());
  }
}

}  // namespace
}  // namespace flare::daemon

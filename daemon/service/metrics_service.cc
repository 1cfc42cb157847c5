#include "daemon/service/metrics_service.h"

#include <map>

#include "daemon/service/prometheus_text.h"
#include "daemon/store/usage_store.h"

namespace flare::daemon {
namespace {

using std::chrono::minutes;

// A throughput answer has at most this many buckets (7 days at 5 minutes).
constexpr int64_t kMaxBuckets = 2016;
// Minute counts are kept this long: the longest period and one spare day.
constexpr minutes kStatsKept = std::chrono::hours(31 * 24);

// A queue's active runs by state; failed runs wait for a retry, hence "retrying".
QueueDepth DepthOf(const std::string& queue, const std::map<RunState, int64_t>& by) {
  auto count = [&](RunState state) {
    auto it = by.find(state);
    return it == by.end() ? int64_t{0} : it->second;
  };
  return {queue, count(RunState::kPending), count(RunState::kScheduled),
          count(RunState::kProcessing), count(RunState::kFailed)};
}

// Runs in a state that is not terminal wait or work; the rest are history.
bool IsActive(RunState state) { return !IsTerminal(state); }

void AddWriterMetrics(PrometheusText& out, const WriterStats& stats) {
  out.Family("flare_writer_commit_seconds",
             "Time of one group transaction of the writer, BEGIN to COMMIT (the WAL fsync apart).",
             "histogram");
  out.Histogram("flare_writer_commit_seconds", {}, stats.commit_seconds.bounds(),
                stats.commit_seconds.Cumulative(), stats.commit_seconds.sum());
  out.Family("flare_writer_group_size", "Write operations that shared one group commit.",
             "histogram");
  out.Histogram("flare_writer_group_size", {}, stats.group_size.bounds(),
                stats.group_size.Cumulative(), stats.group_size.sum());
  out.Family("flare_writer_sync_seconds",
             "Time of the fdatasync of the WAL after a group holding a durable write.",
             "histogram");
  out.Histogram("flare_writer_sync_seconds", {}, stats.sync_seconds.bounds(),
                stats.sync_seconds.Cumulative(), stats.sync_seconds.sum());
  out.Family("flare_writer_relaxed_groups_total",
             "Group commits made only of relaxed writes (claims, acks, heartbeats): no fsync.",
             "counter");
  out.Sample("flare_writer_relaxed_groups_total", {},
             static_cast<double>(stats.relaxed_groups.load()));
  out.Family("flare_writer_wal_restarts_total",
             "WAL checkpoints that copied every frame and started the WAL over.", "counter");
  out.Sample("flare_writer_wal_restarts_total", {}, static_cast<double>(stats.wal_restarts.load()));
  out.Family("flare_writer_wal_checkpoints_starved_total",
             "WAL checkpoints that readers outlasted (tried again a second later).", "counter");
  out.Sample("flare_writer_wal_checkpoints_starved_total", {},
             static_cast<double>(stats.wal_checkpoints_starved.load()));
  out.Family("flare_writer_checkpoint_seconds",
             "Time of one of the writer's own WAL checkpoints (writes wait meanwhile).",
             "histogram");
  out.Histogram("flare_writer_checkpoint_seconds", {}, stats.checkpoint_seconds.bounds(),
                stats.checkpoint_seconds.Cumulative(), stats.checkpoint_seconds.sum());
}

}  // namespace

Result<minutes> ParseMetricsPeriod(const std::string& text) {
  if (text.empty() || text == "24h") return minutes(24 * 60);
  if (text == "1h") return minutes(60);
  if (text == "7d") return minutes(7 * 24 * 60);
  if (text == "30d") return minutes(30 * 24 * 60);
  return InvalidRequest("period must be one of 1h, 24h, 7d, 30d", "period");
}

Result<minutes> ParseGranularity(const std::string& text) {
  if (text == "1m") return minutes(1);
  if (text == "5m") return minutes(5);
  if (text == "1h") return minutes(60);
  if (text == "1d") return minutes(24 * 60);
  return InvalidRequest("granularity must be one of 1m, 5m, 1h, 1d", "granularity");
}

Result<MetricsSummary> MetricsService::Summary(const std::string& project_id,
                                               const std::string& period_text) {
  auto period = ParseMetricsPeriod(period_text);
  if (!period) return period.error();
  TimePoint now = ctx_.clock.Now();
  int64_t now_minute = ToMillis(now) / kMsPerMinute;
  RunStatsBucket total;
  std::map<RunState, int64_t> current;
  {
    auto reader = ctx_.readers.Acquire();
    total = reader->usage().SumRunStats(project_id, now_minute - period->count() + 1);
    for (const QueueCount& q : reader->usage().ReadQueueCounts(project_id)) {
      if (IsActive(q.state)) current[q.state] += q.current;
    }
  }
  auto latency = [&](Latency kind) { return recorder_.Summarize(project_id, kind, *period, now); };
  return MetricsSummary{period_text.empty() ? "24h" : period_text,
                        now - *period,
                        now,
                        total,
                        DepthOf("", current),
                        latency(Latency::kRunDuration),
                        latency(Latency::kQueueWait),
                        latency(Latency::kHttpTarget)};
}

Result<ThroughputSeries> MetricsService::Throughput(const std::string& project_id,
                                                    const std::string& period_text,
                                                    const std::string& granularity_text) {
  auto period = ParseMetricsPeriod(period_text);
  if (!period) return period.error();
  std::string granularity_name = granularity_text.empty() ? "1h" : granularity_text;
  auto granularity = ParseGranularity(granularity_name);
  if (!granularity) return granularity.error();
  if (*granularity > *period) {
    return InvalidRequest("granularity must not be longer than the period", "granularity");
  }
  int64_t count = period->count() / granularity->count();
  if (count > kMaxBuckets) {
    return InvalidRequest("period / granularity gives " + std::to_string(count) +
                              " buckets; at most " + std::to_string(kMaxBuckets) +
                              " are answered: choose a coarser granularity or a shorter period",
                          "granularity");
  }
  int64_t width = granularity->count();
  TimePoint now = ctx_.clock.Now();
  int64_t last = (ToMillis(now) / kMsPerMinute) / width * width;  // the bucket now open
  int64_t first = last - (count - 1) * width;
  std::vector<RunStatsBucket> rows;
  {
    auto reader = ctx_.readers.Acquire();
    rows = reader->usage().ReadRunStats(project_id, first, width);
  }
  ThroughputSeries series{period_text.empty() ? "24h" : period_text, granularity_name, width, {}};
  series.buckets.reserve(static_cast<size_t>(count));
  auto row = rows.begin();
  for (int64_t start = first; start <= last; start += width) {
    RunStatsBucket bucket{start};
    if (row != rows.end() && row->start_minute == start) bucket = *row++;
    series.buckets.push_back(bucket);
  }
  return series;
}

Result<std::vector<QueueDepth>> MetricsService::Queues(const std::string& project_id) {
  std::map<std::string, std::map<RunState, int64_t>> by_queue;
  {
    auto reader = ctx_.readers.Acquire();
    for (const QueueCount& q : reader->usage().ReadQueueCounts(project_id)) {
      auto& states = by_queue[q.queue];
      if (IsActive(q.state)) states[q.state] += q.current;
    }
  }
  std::vector<QueueDepth> depths;
  depths.reserve(by_queue.size());
  for (const auto& [queue, states] : by_queue) depths.push_back(DepthOf(queue, states));
  return depths;
}

Result<std::string> MetricsService::Prometheus(const std::string& project_id) {
  std::vector<QueueCount> counts;
  {
    auto reader = ctx_.readers.Acquire();
    counts = reader->usage().ReadQueueCounts(project_id);
  }
  PrometheusText out;
  out.Family("flare_runs_total", "Runs that entered each state, by queue (creations included).",
             "counter");
  for (const QueueCount& q : counts) {
    out.Sample("flare_runs_total", {{"queue", q.queue}, {"state", std::string(ToString(q.state))}},
               static_cast<double>(q.entered));
  }
  out.Family("flare_queue_depth", "Runs waiting or working now, by queue and state.", "gauge");
  for (const QueueCount& q : counts) {
    if (IsActive(q.state)) {
      out.Sample("flare_queue_depth",
                 {{"queue", q.queue}, {"state", std::string(ToString(q.state))}},
                 static_cast<double>(q.current));
    }
  }
  PrometheusLatencies latencies = recorder_.Prometheus(project_id);
  const struct {
    Latency kind;
    const char* name;
    const char* help;
  } families[] = {
      {Latency::kQueueWait, "flare_queue_wait_seconds",
       "Time from a run becoming pending to its start."},
      {Latency::kRunDuration, "flare_run_duration_seconds", "Time a run attempt took."},
      {Latency::kHttpTarget, "flare_http_target_seconds",
       "Time an HTTP job's target took to answer (whole request)."},
  };
  for (const auto& family : families) {
    const auto& h = latencies.latency[static_cast<int>(family.kind)];
    out.Family(family.name, family.help, "histogram");
    out.Histogram(family.name, {}, LatencySecondsBounds(), h.cumulative, h.sum_seconds);
  }
  out.Family("flare_webhook_deliveries_total", "Webhook delivery attempts, by outcome.", "counter");
  for (const auto& [outcome, n] : latencies.webhook_deliveries) {
    out.Sample("flare_webhook_deliveries_total", {{"outcome", outcome}}, static_cast<double>(n));
  }
  AddWriterMetrics(out, ctx_.writer.stats());
  return out.text();
}

Status MetricsService::PruneOldStats() {
  int64_t first = (ToMillis(ctx_.clock.Now()) / kMsPerMinute) - kStatsKept.count();
  return ctx_.writer.Run<Ok>([first](Tx& tx) -> Status {
    tx.usage().PruneRunStats(first);
    return Ok{};
  });
}

}  // namespace flare::daemon

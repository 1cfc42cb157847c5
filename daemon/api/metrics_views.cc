#include "daemon/api/metrics_views.h"

#include "common/time_format.h"

namespace flare::daemon {
namespace {

nlohmann::json MillisOrNull(int64_t ms) { return ms < 0 ? nlohmann::json() : nlohmann::json(ms); }

nlohmann::json LatencyView(const LatencySummary& s) {
  return {{"count", s.count},
          {"p50", MillisOrNull(s.p50)},
          {"p95", MillisOrNull(s.p95)},
          {"p99", MillisOrNull(s.p99)}};
}

nlohmann::json DepthView(const QueueDepth& depth) {
  return {{"pending", depth.pending},
          {"scheduled", depth.scheduled},
          {"processing", depth.processing},
          {"retrying", depth.retrying}};
}

}  // namespace

nlohmann::json MetricsSummaryView(const MetricsSummary& summary) {
  const RunStatsBucket& counts = summary.counts;
  int64_t finished = counts.succeeded + counts.failed;
  return {
      {"period", summary.period},
      {"from", FormatTime(summary.from)},
      {"until", FormatTime(summary.until)},
      {"counts",
       {{"created", counts.created},
        {"succeeded", counts.succeeded},
        {"failed", counts.failed},
        {"retried", counts.retried},
        {"cancelled", counts.cancelled}}},
      {"current", DepthView(summary.current)},
      {"success_rate", finished == 0
                           ? nlohmann::json()
                           : nlohmann::json(static_cast<double>(counts.succeeded) / finished)},
      {"duration_ms", LatencyView(summary.run_duration)},
      {"queue_wait_ms", LatencyView(summary.queue_wait)},
      {"http_target_ms", LatencyView(summary.http_target)},
  };
}

nlohmann::json ThroughputView(const ThroughputSeries& series) {
  nlohmann::json data = nlohmann::json::array();
  for (const RunStatsBucket& bucket : series.buckets) {
    data.push_back({{"start", FormatTime(FromMillis(bucket.start_minute * kMsPerMinute))},
                    {"created", bucket.created},
                    {"succeeded", bucket.succeeded},
                    {"failed", bucket.failed}});
  }
  return {{"period", series.period},
          {"granularity", series.granularity},
          {"bucket_seconds", series.bucket_minutes * 60},
          {"data", std::move(data)}};
}

nlohmann::json QueueDepthsView(const std::vector<QueueDepth>& depths) {
  nlohmann::json data = nlohmann::json::array();
  for (const QueueDepth& depth : depths) {
    nlohmann::json row = DepthView(depth);
    row["queue"] = depth.queue;
    data.push_back(std::move(row));
  }
  return {{"data", std::move(data)}};
}

}  // namespace flare::daemon

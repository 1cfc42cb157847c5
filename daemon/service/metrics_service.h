#pragma once
// Metrics (SPEC §7): GET /metrics/summary, /throughput, /queues and the Prometheus
// GET /metrics (usage is usage_service.h). Every answer is read from counters kept as work
// happens — the trigger-kept rows of usage_store.h (counts, durable) and the in-memory
// MetricsRecorder (latency percentiles) — never from a scan of the runs.
//
// Query parameters arrive as text and are checked here, so every bad one is a 400 naming
// its field whichever way the service is called.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "daemon/service/context.h"
#include "daemon/service/metrics_recorder.h"
#include "daemon/store/usage_store.h"

namespace flare::daemon {

/// Runs of a queue (or of the project) waiting or working now; failed runs wait for a retry.
struct QueueDepth {
  std::string queue;
  int64_t pending = 0;
  int64_t scheduled = 0;
  int64_t processing = 0;
  int64_t retrying = 0;
};

/// GET /metrics/summary: the period's counts, the runs active now and latency percentiles.
struct MetricsSummary {
  std::string period;  // as asked: 1h, 24h, 7d, 30d
  TimePoint from;
  TimePoint until;
  RunStatsBucket counts;
  QueueDepth current;
  LatencySummary run_duration;
  LatencySummary queue_wait;
  LatencySummary http_target;
};

/// GET /metrics/throughput: one bucket per `granularity` over the period, oldest first,
/// buckets without runs as zeros (RunStatsBucket::start_minute says where each starts).
struct ThroughputSeries {
  std::string period;
  std::string granularity;
  int64_t bucket_minutes = 0;
  std::vector<RunStatsBucket> buckets;
};

/// Accepted by /metrics/summary and /metrics/throughput: 1h, 24h, 7d, 30d.
Result<std::chrono::minutes> ParseMetricsPeriod(const std::string& text);
/// 1m, 5m, 1h, 1d.
Result<std::chrono::minutes> ParseGranularity(const std::string& text);

class MetricsService {
 public:
  MetricsService(ServiceContext ctx, MetricsRecorder& recorder) : ctx_(ctx), recorder_(recorder) {}

  Result<MetricsSummary> Summary(const std::string& project_id, const std::string& period);
  Result<ThroughputSeries> Throughput(const std::string& project_id, const std::string& period,
                                      const std::string& granularity);
  /// Every queue with active runs, by name.
  Result<std::vector<QueueDepth>> Queues(const std::string& project_id);
  /// The Prometheus text of the project's metrics and of the writer's (process-wide).
  Result<std::string> Prometheus(const std::string& project_id);

  /// Drops per-minute counts older than the longest period (call now and then).
  Status PruneOldStats();

 private:
  ServiceContext ctx_;
  MetricsRecorder& recorder_;
};

}  // namespace flare::daemon

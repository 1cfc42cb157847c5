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

namespace flare::daemon {

/// Accepted by /metrics/summary and /metrics/throughput: 1h, 24h, 7d, 30d.
Result<std::chrono::minutes> ParseMetricsPeriod(const std::string& text);
/// 1m, 5m, 1h, 1d.
Result<std::chrono::minutes> ParseGranularity(const std::string& text);

class MetricsService {
 public:
  MetricsService(ServiceContext ctx, MetricsRecorder& recorder) : ctx_(ctx), recorder_(recorder) {}

  Result<nlohmann::json> Summary(const std::string& project_id, const std::string& period);
  Result<nlohmann::json> Throughput(const std::string& project_id, const std::string& period,
                                    const std::string& granularity);
  Result<nlohmann::json> Queues(const std::string& project_id);
  /// The Prometheus text of the project's metrics and of the writer's (process-wide).
  Result<std::string> Prometheus(const std::string& project_id);

  /// Drops per-minute counts older than the longest period (call now and then).
  Status PruneOldStats();

 private:
  ServiceContext ctx_;
  MetricsRecorder& recorder_;
};

}  // namespace flare::daemon

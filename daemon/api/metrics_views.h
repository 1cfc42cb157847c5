#pragma once
// The wire form of the metrics pages (SPEC §7): summary, throughput and queue depths.
// Latencies are milliseconds, null when there was no sample.

#include <nlohmann/json.hpp>
#include <vector>

#include "daemon/service/metrics_service.h"

namespace flare::daemon {

/// {period, from, until, counts{created, succeeded, failed, retried, cancelled},
/// current{pending, scheduled, processing, retrying}, success_rate, duration_ms,
/// queue_wait_ms, http_target_ms (each {count, p50, p95, p99})}
nlohmann::json MetricsSummaryView(const MetricsSummary& summary);
/// {period, granularity, bucket_seconds, data: [{start, created, succeeded, failed}, ...]}
nlohmann::json ThroughputView(const ThroughputSeries& series);
/// {data: [{queue, pending, scheduled, processing, retrying}, ...]}
nlohmann::json QueueDepthsView(const std::vector<QueueDepth>& depths);

}  // namespace flare::daemon

#pragma once
// Latency metrics kept in memory as work happens: queue wait (ready_at → started_at), run
// time (duration_ms) and HTTP target latency (trace.total_ms of HTTP runs), per project.
//
// Counts (created, succeeded, queue depths, usage) are durable rows the schema's triggers
// move (usage_store.h); latencies are distributions, which SQLite cannot add up
// cheaply, so they live here as log-scale histograms (common/histogram.h) in time slots:
// one per minute for the last hour and one per hour for the last 30 days, enough for the
// periods 1h, 24h, 7d and 30d. A period's percentiles merge its slots; a period longer than
// an hour is counted in whole hours, so it may reach up to an hour further back than asked.
// Beside the slots, each project has Prometheus histograms (fixed `le` bounds) since start.
//
// Memory is bounded: slots older than their window are dropped as new ones open, and a
// slot costs ~1.5 KiB, so a busy project holds at most ~1.2 MiB.
//
// Restarts: the slots are refilled at start from the runs still retained that finished in
// the last 30 days (Rebuild, through the runs_finished index). A run keeps only its last
// attempt, so earlier failed attempts of a retried run, and runs that retention deleted, are
// not in the rebuilt figures. That is the price of not writing a row per observation.
//
// Threads: OnEvent runs on the writer thread and hands the observation to an after-commit
// action (so a rolled-back operation counts nothing); that action and every reader take
// `mutex_`, which guards memory only and is never held across I/O.

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/histogram.h"
#include "daemon/service/event_observer.h"
#include "daemon/store/usage_store.h"

namespace flare::daemon {

enum class Latency { kQueueWait = 0, kRunDuration = 1, kHttpTarget = 2 };
constexpr int kLatencyKinds = 3;

struct LatencySummary {
  uint64_t count = 0;
  int64_t p50 = -1, p95 = -1, p99 = -1;  // milliseconds; -1 when there is no sample
};

/// What GET /metrics shows of one project's latencies and webhook deliveries.
struct PrometheusLatencies {
  struct Histogram {
    std::vector<uint64_t> cumulative;  // per LatencySecondsBounds() and +Inf
    double sum_seconds = 0;
  };
  std::array<Histogram, kLatencyKinds> latency;
  std::map<std::string, uint64_t> webhook_deliveries;  // by outcome
};

class MetricsRecorder final : public EventObserver {
 public:
  void OnEvent(Tx& tx, const JobRecord& job, const RunRecord* run,
               const EventRecord& event) override;

  /// Refills the slots from the retained runs that finished since `now` − 30 days. Call at
  /// start, before the writer takes work, so nothing is counted twice.
  void Rebuild(UsageStore& usage, TimePoint now);
  /// One latency observation `ms` at `at` (what OnEvent and Rebuild feed).
  void Observe(const std::string& project_id, Latency kind, TimePoint at, int64_t ms);
  /// A webhook delivery attempt ended with `outcome` ("succeeded", "failed", …).
  void CountWebhookDelivery(const std::string& project_id, const std::string& outcome);

  /// Percentiles of `kind` for the project over [now − period, now].
  LatencySummary Summarize(const std::string& project_id, Latency kind, std::chrono::minutes period,
                           TimePoint now) const;
  PrometheusLatencies Prometheus(const std::string& project_id) const;

 private:
  using Slot = std::array<LogHistogram, kLatencyKinds>;
  struct Project {
    std::map<int64_t, Slot> minutes;  // key: minutes since the epoch
    std::map<int64_t, Slot> hours;    // key: hours since the epoch
    std::array<std::unique_ptr<BoundedHistogram>, kLatencyKinds> since_start;
    std::map<std::string, uint64_t> webhook_deliveries;
  };
  Project& ProjectOf(const std::string& project_id);  // under mutex_

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Project> projects_;
};

}  // namespace flare::daemon

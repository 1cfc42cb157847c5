#include "daemon/service/metrics_recorder.h"

namespace flare::daemon {
namespace {

constexpr int64_t kMinuteSlotsKept = 61;  // the last hour and the minute now open
constexpr int64_t kHourSlotsKept = 30 * 24 + 1;

int64_t MinuteOf(TimePoint t) { return ToMillis(t) / 60000; }
int64_t HourOf(TimePoint t) { return ToMillis(t) / 3600000; }

// Adds to the slot `key` of `slots`, dropping the slots that fell out of the window.
void AddToSlot(std::map<int64_t, std::array<LogHistogram, kLatencyKinds>>& slots, int64_t key,
               int64_t kept, Latency kind, int64_t ms) {
  auto it = slots.find(key);
  if (it == slots.end()) {
    while (!slots.empty() && slots.begin()->first <= key - kept) slots.erase(slots.begin());
    if (key <= (slots.empty() ? key : slots.rbegin()->first) - kept) return;  // too old
    it = slots.try_emplace(key).first;
  }
  it->second[static_cast<int>(kind)].Add(ms);
}

}  // namespace

MetricsRecorder::Project& MetricsRecorder::ProjectOf(const std::string& project_id) {
  auto [it, inserted] = projects_.try_emplace(project_id);
  if (inserted) {
    for (auto& histogram : it->second.since_start) {
      histogram = std::make_unique<BoundedHistogram>(LatencySecondsBounds());
    }
  }
  return it->second;
}

void MetricsRecorder::Observe(const std::string& project_id, Latency kind, TimePoint at,
                              int64_t ms) {
  if (ms < 0) return;  // a clock step backwards; not a latency
  std::lock_guard lock(mutex_);
  Project& project = ProjectOf(project_id);
  AddToSlot(project.minutes, MinuteOf(at), kMinuteSlotsKept, kind, ms);
  AddToSlot(project.hours, HourOf(at), kHourSlotsKept, kind, ms);
  project.since_start[static_cast<int>(kind)]->Observe(static_cast<double>(ms) / 1000.0);
}

void MetricsRecorder::OnEvent(Tx& tx, const JobRecord& job, const RunRecord* run,
                              const EventRecord& event) {
  if (!run) return;
  // Only the three events that carry a latency; everything else costs one comparison.
  std::optional<int64_t> wait, duration, http;
  if (event.type == "started") {
    if (run->ready_at && run->started_at)
      wait = ToMillis(*run->started_at) - ToMillis(*run->ready_at);
  } else if (event.type == "succeeded" || event.type == "attempt_failed") {
    duration = run->duration_ms;
    nlohmann::json trace = run->is_http ? run->trace.value() : nlohmann::json();
    if (trace.is_object()) {
      auto total = trace.find("total_ms");
      if (total != trace.end() && total->is_number_integer()) http = total->get<int64_t>();
    }
  }
  if (!wait && !duration && !http) return;
  tx.OnCommit([this, project = job.project_id, at = event.at, wait, duration, http] {
    if (wait) Observe(project, Latency::kQueueWait, at, *wait);
    if (duration) Observe(project, Latency::kRunDuration, at, *duration);
    if (http) Observe(project, Latency::kHttpTarget, at, *http);
  });
}

void MetricsRecorder::Rebuild(UsageStore& usage, TimePoint now) {
  auto observe = [&](const FinishedRunTimes& run) {
    if (run.ready_at && run.started_at) {
      Observe(run.project_id, Latency::kQueueWait, *run.started_at,
              ToMillis(*run.started_at) - ToMillis(*run.ready_at));
    }
    TimePoint done = run.completed_at.value_or(now);
    if (run.duration_ms) Observe(run.project_id, Latency::kRunDuration, done, *run.duration_ms);
    if (run.http_total_ms) Observe(run.project_id, Latency::kHttpTarget, done, *run.http_total_ms);
  };
  usage.ForEachFinishedRun(now - std::chrono::hours(kHourSlotsKept), observe);
}

void MetricsRecorder::CountWebhookDelivery(const std::string& project_id,
                                           const std::string& outcome) {
  std::lock_guard lock(mutex_);
  ++ProjectOf(project_id).webhook_deliveries[outcome];
}

LatencySummary MetricsRecorder::Summarize(const std::string& project_id, Latency kind,
                                          std::chrono::minutes period, TimePoint now) const {
  LogHistogram merged;
  {
    std::lock_guard lock(mutex_);
    auto it = projects_.find(project_id);
    if (it == projects_.end()) return {};
    bool by_minute = period <= std::chrono::hours(1);
    const auto& slots = by_minute ? it->second.minutes : it->second.hours;
    int64_t first = by_minute ? MinuteOf(now - period) : HourOf(now - period);
    for (auto slot = slots.lower_bound(first); slot != slots.end(); ++slot) {
      merged.Merge(slot->second[static_cast<int>(kind)]);
    }
  }
  return {merged.count(), merged.Percentile(0.50), merged.Percentile(0.95),
          merged.Percentile(0.99)};
}

PrometheusLatencies MetricsRecorder::Prometheus(const std::string& project_id) const {
  PrometheusLatencies out;
  std::lock_guard lock(mutex_);
  auto it = projects_.find(project_id);
  for (int kind = 0; kind < kLatencyKinds; ++kind) {
    if (it == projects_.end()) {
      out.latency[kind].cumulative.assign(LatencySecondsBounds().size() + 1, 0);
      continue;
    }
    out.latency[kind].cumulative = it->second.since_start[kind]->Cumulative();
    out.latency[kind].sum_seconds = it->second.since_start[kind]->sum();
  }
  if (it != projects_.end()) out.webhook_deliveries = it->second.webhook_deliveries;
  return out;
}

}  // namespace flare::daemon

#include "daemon/service/views.h"

#include "daemon/service/json_members.h"

namespace flare::daemon {
namespace {

// The stored spec keeps header values so the executor can send them; views mask them.
nlohmann::json RedactedHttp(const nlohmann::json& http) {
  if (!http.is_object()) return nullptr;
  nlohmann::json out = http;
  if (out.contains("headers") && out["headers"].is_array()) {
    for (auto& header : out["headers"]) header["value"] = "***";
  }
  return out;
}

nlohmann::json SpecField(const nlohmann::json& spec, const char* key) {
  auto it = spec.find(key);
  return it == spec.end() ? nlohmann::json(nullptr) : *it;
}

}  // namespace

nlohmann::json TimeOrNull(const OptTime& t) {
  return t ? nlohmann::json(FormatTime(*t)) : nlohmann::json(nullptr);
}

nlohmann::json JobView(const JobRecord& job) {
  const nlohmann::json spec = SpecSettings(job.spec);
  return nlohmann::json{
      {"id", job.id},
      {"state", job.state},
      {"job_type", job.job_type},
      {"queue", job.queue},
      {"payload", job.payload.value()},
      {"created_at", FormatTime(job.created_at)},
      {"started_at", TimeOrNull(job.started_at)},
      {"completed_at", TimeOrNull(job.completed_at)},
      {"attempt", job.attempt},
      {"max_attempts", job.max_attempts},
      {"progress", OrNull(job.progress)},
      {"duration_ms", OrNull(job.duration_ms)},
      {"error", job.error},
      {"tags", job.tags.value()},
      {"name", SpecField(spec, "name")},
      {"slug", TextOrNull(job.slug)},
      {"description", SpecField(spec, "description")},
      {"schedule", SpecField(spec, "schedule")},
      {"timezone", SpecField(spec, "timezone")},
      {"run_at", SpecField(spec, "run_at")},
      {"next_run_at", TimeOrNull(job.next_run_at)},
      {"next_retry_at", TimeOrNull(job.next_retry_at)},
      {"http", RedactedHttp(SpecField(spec, "http"))},
      {"timeout_seconds", SpecField(spec, "timeout_seconds")},
      {"retry", SpecField(spec, "retry")},
      {"idempotency_key", TextOrNull(job.idempotency_key)},
      {"parent_job_id", TextOrNull(job.parent_job_id)},
      {"priority", SpecField(spec, "priority")},
      {"concurrency_policy", SpecField(spec, "concurrency_policy")},
      {"misfire_policy", SpecField(spec, "misfire_policy")},
      {"enabled", job.enabled},
      {"version", job.version},
      {"last_run_id", TextOrNull(job.last_run_id)},
      {"updated_at", FormatTime(job.updated_at)},
      {"deleted_at", TimeOrNull(job.deleted_at)},
  };
}

std::string JobViewText(const JobRecord& job) {
  const JobSpec& spec = job.spec;
  std::string out;
  out.reserve(1024 + job.payload.text().size() + job.tags.text().size());
  JsonMembers m(out);
  // JobView's keys in its (alphabetical) order; the spec's fields as SpecSettings has them.
  // Stored JSON (payload, tags) is copied as stored: that is how it was dumped.
  m.Int("{\"attempt\":", job.attempt);
  m.Time(",\"completed_at\":", job.completed_at);
  m.String(",\"concurrency_policy\":", ConcurrencyPolicyName(spec.concurrency_policy));
  m.Time(",\"created_at\":", job.created_at);
  m.Time(",\"deleted_at\":", job.deleted_at);
  m.TextOrNull(",\"description\":", spec.description);
  m.Json(",\"duration_ms\":", OrNull(job.duration_ms));
  m.Raw(",\"enabled\":", job.enabled ? "true" : "false");
  m.Json(",\"error\":", job.error);
  m.Json(",\"http\":", spec.http ? RedactedHttp(spec.http->ToJson(/*reveal_secrets=*/true))
                                 : nlohmann::json(nullptr));
  m.String(",\"id\":", job.id);
  m.TextOrNull(",\"idempotency_key\":", job.idempotency_key);
  m.String(",\"job_type\":", job.job_type);
  m.TextOrNull(",\"last_run_id\":", job.last_run_id);
  m.Int(",\"max_attempts\":", job.max_attempts);
  m.String(",\"misfire_policy\":", MisfirePolicyName(spec.misfire_policy));
  m.TextOrNull(",\"name\":", spec.name);
  m.Time(",\"next_retry_at\":", job.next_retry_at);
  m.Time(",\"next_run_at\":", job.next_run_at);
  m.TextOrNull(",\"parent_job_id\":", job.parent_job_id);
  m.Raw(",\"payload\":", job.payload.text());
  m.Int(",\"priority\":", spec.priority);
  m.Json(",\"progress\":", OrNull(job.progress));
  m.String(",\"queue\":", job.queue);
  m.Raw(",\"retry\":", spec.retry.ToText());
  m.Time(",\"run_at\":", spec.run_at);
  m.TextOrNull(",\"schedule\":", spec.schedule);
  m.TextOrNull(",\"slug\":", job.slug);
  m.Time(",\"started_at\":", job.started_at);
  m.String(",\"state\":", ToString(job.state));
  m.Raw(",\"tags\":", job.tags.text());
  m.Int(",\"timeout_seconds\":", spec.timeout_seconds);
  m.String(",\"timezone\":", spec.timezone);
  m.Time(",\"updated_at\":", job.updated_at);
  m.Int(",\"version\":", job.version);
  m.End();
  return out;
}

nlohmann::json RunView(const RunRecord& run) {
  std::optional<int64_t> pending_ms;
  if (run.started_at && run.ready_at)
    pending_ms = ToMillis(*run.started_at) - ToMillis(*run.ready_at);
  return nlohmann::json{
      {"id", run.id},
      {"job_id", run.job_id},
      {"job_version", run.job_version},
      {"trigger", run.trigger},
      {"rerun_of", TextOrNull(run.rerun_of)},
      {"scheduled_for", TimeOrNull(run.scheduled_for)},
      {"state", run.state},
      {"attempt", run.attempt},
      {"max_attempts", run.max_attempts},
      {"next_retry_at", TimeOrNull(run.next_retry_at)},
      {"worker_id", TextOrNull(run.worker_id)},
      {"lease_expires_at", TimeOrNull(run.lease_expires_at)},
      {"progress", OrNull(run.progress)},
      {"payload", run.payload},
      {"queue", run.queue},
      {"job_type", run.job_type},
      {"created_at", FormatTime(run.created_at)},
      {"started_at", TimeOrNull(run.started_at)},
      {"completed_at", TimeOrNull(run.completed_at)},
      {"duration_ms", OrNull(run.duration_ms)},
      {"pending_duration_ms", OrNull(pending_ms)},
      {"failure_reason", TextOrNull(run.failure_reason)},
      {"error", run.error},
      {"request", run.request.value()},
      {"result", run.result.value()},
      {"trace", run.trace.value()},
  };
}

nlohmann::json EventView(const EventRecord& event) {
  return nlohmann::json{
      {"id", event.id},
      {"type", event.type},
      {"job_id", event.job_id},
      {"run_id", TextOrNull(event.run_id)},
      {"at", FormatTime(event.at)},
      {"attempt", OrNull(event.attempt)},
      {"details", event.details.is_null() ? nlohmann::json::object() : event.details},
  };
}

nlohmann::json WorkerView(const WorkerRecord& worker, TimePoint now) {
  // A worker silent for three heartbeat intervals (90 s) has lost its runs.
  bool lost = now - worker.last_seen_at > std::chrono::seconds(90);
  return nlohmann::json{
      {"worker_id", worker.worker_id},
      {"queues", worker.queues},
      {"job_types", worker.job_types},
      {"registered_at", FormatTime(worker.registered_at)},
      {"last_seen_at", FormatTime(worker.last_seen_at)},
      {"runs_held", worker.runs_held},
      {"status", lost ? "lost" : "active"},
  };
}

}  // namespace flare::daemon

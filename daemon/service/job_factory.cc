#include "daemon/service/job_factory.h"

#include "common/ids.h"

namespace flare::daemon {

JobRecord BuildJob(const JobSpec& spec, const std::string& project_id, TimePoint now) {
  JobRecord job;
  job.id = NewId("job", now);
  job.project_id = project_id;
  job.slug = spec.slug;
  job.job_type = spec.job_type;
  job.queue = spec.queue;
  job.payload = spec.payload;
  job.tags = spec.tags;
  job.spec = SpecToBody(spec);
  job.spec.erase("payload");
  job.spec.erase("tags");
  job.spec.erase("job_type");
  job.spec.erase("queue");
  job.is_http = spec.is_http();
  job.parent_job_id = spec.parent_job_id;
  job.idempotency_key = spec.idempotency_key;
  job.enabled = spec.enabled;
  job.version = 1;
  job.max_attempts = spec.max_attempts;
  job.created_at = now;
  job.updated_at = now;
  return job;
}

void RefreshRunSettings(const JobRecord& job, RunRecord& run) {
  run.job_version = job.version;
  run.queue = job.queue;
  run.job_type = job.job_type;
  run.is_http = job.is_http;
  run.max_attempts = std::max(job.max_attempts, run.attempt);
  run.timeout_seconds = job.spec.value("timeout_seconds", job.is_http ? 30 : 1800);
  run.priority = job.spec.value("priority", 0);
}

RunRecord BuildRun(const JobRecord& job, const std::string& trigger, TimePoint now) {
  RunRecord run;
  run.id = NewId("run", now);
  run.project_id = job.project_id;
  run.job_id = job.id;
  run.trigger = trigger;
  run.created_at = now;
  run.state = "scheduled";
  RefreshRunSettings(job, run);
  run.max_attempts = job.max_attempts;
  return run;
}

Result<OptTime> FirstRunTime(const JobSpec& spec, TimePoint now) {
  OptTime at = spec.run_at;
  if (!spec.schedule.empty() && spec.schedule != "now") {
    auto instant = ParseTime(spec.schedule);
    if (!instant) {
      return InvalidRequest("schedule must be \"now\" or an RFC 3339 time", "schedule");
    }
    at = *instant;
  }
  if (at && *at <= now) return OptTime{};  // a time in the past runs at once
  return at;
}

}  // namespace flare::daemon

#include "daemon/service/job_factory.h"

#include "common/ids.h"
#include "common/schedule.h"
#include "common/time_zone.h"

namespace flare::daemon {

JobRecord BuildJob(JobSpec spec, const std::string& project_id, TimePoint now) {
  JobRecord job;
  job.id = NewId("job", now);
  job.project_id = project_id;
  job.slug = spec.slug;
  job.job_type = std::move(spec.job_type);
  job.queue = std::move(spec.queue);
  // Serialized here, off the writer's thread when this is a create.
  job.payload = StoredJson::Of(std::move(spec.payload));  // may be large: moved, not copied
  job.tags = StoredJson::Of(std::move(spec.tags));
  // The record's fields now hold job_type, payload, queue and tags; the spec's go back to
  // their defaults, as a spec read back from its column has them (JobRecord::spec).
  const JobSpec defaults;
  spec.job_type = defaults.job_type;
  spec.payload = defaults.payload;
  spec.queue = defaults.queue;
  spec.tags = defaults.tags;
  job.is_http = spec.is_http();
  job.parent_job_id = spec.parent_job_id;
  job.idempotency_key = spec.idempotency_key;
  job.enabled = spec.enabled;
  job.version = 1;
  job.max_attempts = spec.max_attempts;
  job.created_at = now;
  job.updated_at = now;
  job.spec = std::move(spec);
  return job;
}

void RefreshRunSettings(const JobRecord& job, RunRecord& run) {
  run.job_version = job.version;
  run.queue = job.queue;
  run.job_type = job.job_type;
  run.is_http = job.is_http;
  run.max_attempts = std::max(job.max_attempts, run.attempt);
  run.timeout_seconds = job.spec.timeout_seconds;
  run.priority = job.spec.priority;
}

RunRecord BuildRun(const JobRecord& job, const std::string& trigger, TimePoint now) {
  RunRecord run;
  run.id = NewId("run", now);
  run.project_id = job.project_id;
  run.job_id = job.id;
  run.trigger = trigger;
  run.created_at = now;
  run.state = RunState::kScheduled;
  RefreshRunSettings(job, run);
  run.max_attempts = job.max_attempts;
  return run;
}

Result<SchedulePlan> PlanSchedule(const JobSpec& spec, TimePoint now, TimePoint anchor) {
  auto zone = LookupTimeZone(spec.timezone);
  if (!zone) return zone.error();
  auto schedule = ParseSchedule(spec.schedule);
  if (!schedule) return schedule.error();
  SchedulePlan plan;
  if (schedule->recurring()) {
    if (spec.run_at)
      return InvalidRequest("run_at cannot be combined with a recurring schedule", "run_at");
    plan.recurring = true;
    plan.next_run_at = NextFire(*schedule, *zone, now, anchor);
    if (!plan.next_run_at) return InvalidRequest("this schedule never fires", "schedule");
    return plan;
  }
  OptTime at = spec.run_at;
  if (schedule->kind == ScheduleKind::kAt) at = schedule->at;
  if (at && *at > now) plan.first_run = plan.next_run_at = at;
  return plan;
}

bool IsRecurring(const JobRecord& job) {
  if (job.spec.schedule.empty()) return false;
  auto schedule = ParseSchedule(job.spec.schedule);
  return schedule && schedule->recurring();
}

bool IsPaused(const JobRecord& job) { return !job.spec.enabled; }

OptTime NextScheduledFire(const JobRecord& job, TimePoint after) {
  auto schedule = ParseSchedule(job.spec.schedule);
  auto zone = LookupTimeZone(job.spec.timezone);
  if (!schedule || !zone || !schedule->recurring()) return std::nullopt;
  return NextFire(*schedule, *zone, after, job.created_at);
}

}  // namespace flare::daemon

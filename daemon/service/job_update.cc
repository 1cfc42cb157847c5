// PATCH /jobs/{id}: an RFC 7386 merge onto the job's current body, validated as a whole,
// then applied to the job and to its runs that have not started. `enabled` pauses and
// resumes: a paused job's runs that have not started, retries included, are held (no due
// time) until it is resumed.

#include "common/job_spec.h"
#include "daemon/service/job_factory.h"
#include "daemon/service/job_service.h"
#include "daemon/service/state_machine.h"
#include "daemon/store/run_store.h"

namespace flare::daemon {
namespace {

nlohmann::json CurrentBody(const JobRecord& job) {
  nlohmann::json body = SpecSettings(job.spec);
  body["job_type"] = job.job_type;
  body["queue"] = job.queue;
  body["payload"] = job.payload.value();
  body["tags"] = job.tags.value();
  return body;
}

Status CheckPatchFields(const nlohmann::json& patch) {
  if (!patch.is_object() || patch.empty()) {
    return InvalidRequest("a PATCH body is a JSON object with the fields to change");
  }
  for (const auto& item : patch.items()) {
    if (IsImmutableField(item.key())) {
      return InvalidRequest(item.key() + " cannot be changed after creation; create a new job",
                            item.key());
    }
  }
  return Ok{};
}

void ApplySpec(JobRecord& job, const JobSpec& spec) {
  JobRecord fresh = BuildJob(spec, job.project_id, job.created_at);
  job.slug = fresh.slug;
  job.job_type = fresh.job_type;
  job.queue = fresh.queue;
  job.payload = fresh.payload;
  job.tags = fresh.tags;
  job.spec = fresh.spec;
  job.is_http = fresh.is_http;
  if (job.state != JobState::kProcessing)
    job.max_attempts = std::max(spec.max_attempts, job.attempt);
}

// The parent a held run waits for, if it has not succeeded yet.
bool WaitsForParent(Tx& tx, const JobRecord& job) {
  if (job.parent_job_id.empty()) return false;
  auto parent = tx.jobs().Find(job.project_id, job.parent_job_id);
  return parent && parent->state != JobState::kSucceeded;
}

// Holds every run that has not started; runs in flight finish, and a retry they ask for
// waits for the resume too (StateMachine::FailAttempt).
void Pause(Tx& tx, StateMachine& machine, JobRecord& job) {
  for (RunRecord& run : tx.runs().OfJobInState(
           job.id, {RunState::kPending, RunState::kScheduled, RunState::kFailed})) {
    machine.Hold(job, run);
  }
  job.next_run_at.reset();
  machine.Record(job, nullptr, "paused");
}

void Resume(Tx& tx, StateMachine& machine, JobRecord& job) {
  // First: a run released below may be taken at once, and its events follow this one.
  machine.Record(job, nullptr, "resumed");
  bool waits = WaitsForParent(tx, job);
  for (RunRecord& run : tx.runs().OfJobInState(job.id, {RunState::kScheduled, RunState::kFailed})) {
    if (run.state == RunState::kFailed) {
      machine.ReleaseRetry(job, run);
      continue;
    }
    // Only a one-off's own (API) run waits for its parent or its run_at.
    bool first_run = run.trigger == "API";
    if (first_run && waits) continue;
    OptTime at = first_run ? job.spec.run_at : std::nullopt;
    if (at && *at > tx.now()) {
      machine.Wait(job, run, *at);
    } else {
      machine.MakeReady(job, run);
    }
  }
}

// A one-off job is enabled until it fires (SPEC §4): while its own run still waits for its
// time or its parent, never after.
bool StillToFire(Tx& tx, const JobRecord& job) {
  for (const RunRecord& run : tx.runs().OfJobInState(job.id, {RunState::kScheduled})) {
    if (run.trigger == "API" && !run.ready_at) return true;
  }
  return false;
}

nlohmann::json ChangedFields(const nlohmann::json& before, const nlohmann::json& after,
                             const nlohmann::json& patch) {
  nlohmann::json changed = nlohmann::json::array();
  for (const auto& item : patch.items()) {
    auto old_it = before.find(item.key());
    auto new_it = after.find(item.key());
    nlohmann::json old_value = old_it == before.end() ? nullptr : *old_it;
    nlohmann::json new_value = new_it == after.end() ? nullptr : *new_it;
    if (old_value != new_value) changed.push_back(item.key());
  }
  return changed;
}

}  // namespace

Result<JobRecord> JobService::Update(const std::string& project_id, const std::string& id_or_slug,
                                     const nlohmann::json& patch_in) {
  nlohmann::json patch = patch_in;
  std::optional<int64_t> expected_version;
  if (patch.is_object() && patch.contains("version")) {
    if (!patch["version"].is_number_integer()) {
      return InvalidRequest("version must be the job's current version number", "version");
    }
    expected_version = patch["version"].get<int64_t>();
    patch.erase("version");
  }
  if (auto checked = CheckPatchFields(patch); !checked) return checked.error();
  return ctx_.writer.Run<JobRecord>([&](Tx& tx) -> Result<JobRecord> {
    auto job = tx.jobs().Find(project_id, id_or_slug);
    if (!job || job->deleted_at) return JobNotFound(id_or_slug);
    if (expected_version && *expected_version != job->version) {
      return Error{ErrorCode::kConflict,
                   "job " + job->id + " is at version " + std::to_string(job->version) + ", not " +
                       std::to_string(*expected_version) + "; fetch it and try again",
                   "version"};
    }
    nlohmann::json before = CurrentBody(*job);
    nlohmann::json merged = before;
    merged.merge_patch(patch);
    auto spec = ParseJobSpec(merged, SpecUse::kUpdate);
    if (!spec) return spec.error();
    if (!spec->slug.empty() && spec->slug != job->slug &&
        tx.jobs().SlugTaken(project_id, spec->slug, job->id)) {
      return Error{ErrorCode::kConflict, "slug '" + spec->slug + "' belongs to another job",
                   "slug"};
    }
    auto plan = PlanSchedule(*spec, tx.now(), job->created_at);
    if (!plan) return plan.error();
    if (plan->recurring != IsRecurring(*job)) {
      return InvalidRequest("a job cannot switch between one-off and recurring; create a new job",
                            "schedule");
    }
    bool was_paused = IsPaused(*job);
    ApplySpec(*job, *spec);
    job->enabled = spec->enabled;
    job->version += 1;
    job->updated_at = tx.now();
    StateMachine machine(tx, ctx_.notifier);
    for (RunRecord& run : tx.runs().OfJobInState(
             job->id, {RunState::kPending, RunState::kScheduled, RunState::kFailed})) {
      RefreshRunSettings(*job, run);
      if (!plan->recurring && run.state == RunState::kScheduled && run.due_at && job->enabled) {
        // A one-off whose time moved: wait for the new time, or go now if it has passed.
        if (plan->first_run) {
          machine.Wait(*job, run, plan->first_run);
          job->next_run_at = plan->first_run;
        } else {
          machine.MakeReady(*job, run);
        }
        continue;
      }
      machine.Save(*job, run);
      if (run.state == RunState::kPending) machine.Announce(*job, run);
    }
    if (!was_paused && IsPaused(*job)) Pause(tx, machine, *job);
    if (was_paused && !IsPaused(*job)) Resume(tx, machine, *job);
    if (!plan->recurring) job->enabled = job->enabled && StillToFire(tx, *job);
    if (plan->recurring) {
      // Resuming or changing the schedule plans from now: paused time is not caught up.
      job->next_run_at = job->enabled ? NextScheduledFire(*job, tx.now()) : std::nullopt;
      if (job->next_run_at)
        tx.OnCommit([&n = ctx_.notifier, t = *job->next_run_at] { n.WakeAt(t); });
    }
    tx.jobs().Save(*job);
    machine.Record(
        *job, nullptr, "updated",
        {{"fields", ChangedFields(before, CurrentBody(*job), patch)}, {"version", job->version}});
    return std::move(*job);
  });
}

}  // namespace flare::daemon

#include "daemon/service/job_service.h"

#include "common/encoding.h"
#include "common/job_spec.h"
#include "daemon/service/job_factory.h"
#include "daemon/service/state_machine.h"
#include "daemon/service/views.h"
#include "daemon/store/event_store.h"
#include "daemon/store/run_store.h"

namespace flare::daemon {
namespace {

constexpr size_t kMaxJobsInBatch = 1000;

// A create checked and prepared off the writer thread: the row is built and its JSON
// serialized here, so the single writer only runs SQL.
struct ValidatedCreate {
  JobRecord job;
  std::string request_hash;  // only when an idempotency key is given
  SchedulePlan plan;
};

Result<ValidatedCreate> ValidateCreate(const nlohmann::json& body, const std::string& header_key,
                                       const std::string& project_id, TimePoint now) {
  auto spec = ParseJobSpec(body);
  if (!spec) return spec.error();
  if (!header_key.empty()) {
    if (header_key.size() > 200) {
      return InvalidRequest("Idempotency-Key is longer than 200 characters", "Idempotency-Key");
    }
    if (!spec->idempotency_key.empty() && spec->idempotency_key != header_key) {
      return InvalidRequest("the Idempotency-Key header and the idempotency_key field differ",
                            "idempotency_key");
    }
    spec->idempotency_key = header_key;
  }
  auto plan = PlanSchedule(*spec, now, now);
  if (!plan) return plan.error();
  if (plan->recurring && !spec->parent_job_id.empty()) {
    return InvalidRequest(
        "a recurring job cannot be a continuation; drop schedule or parent_job_id",
        "parent_job_id");
  }
  ValidatedCreate input{BuildJob(std::move(*spec), project_id, now), "", *plan};
  JobRecord& job = input.job;
  job.spec_text = SpecSettingsText(job.spec);
  if (!job.idempotency_key.empty()) input.request_hash = HexEncode(Sha256(body.dump()));
  job.request_hash = input.request_hash;
  return input;
}

// One entry of a refused batch's `errors`: which item, which of its fields, why.
nlohmann::json BatchItemError(size_t index, const Error& error) {
  return {{"index", index},
          {"field", error.field.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.field)},
          {"code", std::string(ErrorCodeName(error.code))},
          {"message", error.message}};
}

// "jobs[3].schedule" (or "jobs[3]") for the top-level `field` of a refused batch.
std::string BatchItemField(const nlohmann::json& item_error) {
  std::string field = "jobs[" + item_error["index"].dump() + "]";
  if (item_error["field"].is_string()) field += "." + item_error["field"].get<std::string>();
  return field;
}

// A cron or @every job: no run yet; the scheduler makes one at each fire.
void AddRecurringJob(Tx& tx, WorkNotifier& notifier, StateMachine& machine, JobRecord& job) {
  job.state = JobState::kScheduled;
  if (job.enabled) job.next_run_at = NextScheduledFire(job, tx.now());
  tx.jobs().Insert(job);
  machine.Record(job, nullptr, "created", {{"state", job.state}});
  machine.Record(job, nullptr, "scheduled", {{"next_run_at", TimeOrNull(job.next_run_at)}});
  if (job.next_run_at) tx.OnCommit([&notifier, t = *job.next_run_at] { notifier.WakeAt(t); });
}

// A one-off job: its single run is made now, ready or waiting for its time or its parent.
void AddOneOffJob(Tx& tx, WorkNotifier& notifier, StateMachine& machine, JobRecord& job,
                  OptTime first_run, bool wait_for_parent) {
  RunRecord run = BuildRun(job, "API", tx.now());
  run.scheduled_for = first_run.value_or(tx.now());
  job.last_run_id = run.id;
  bool ready = !wait_for_parent && !first_run && job.enabled;
  run.state = job.state = ready ? RunState::kPending : RunState::kScheduled;
  if (ready) run.ready_at = run.due_at = tx.now();
  if (!wait_for_parent && job.enabled) run.due_at = first_run.value_or(tx.now());
  if (ready) job.enabled = false;  // fired: a one-off job disables itself (SPEC §4)
  if (!ready && run.due_at) job.next_run_at = run.due_at;
  tx.jobs().Insert(job);
  if (!ready) tx.runs().Insert(run);  // a ready run is inserted below, taken or not
  machine.Record(job, &run, "created", {{"state", job.state}});
  if (!ready) {
    nlohmann::json why = wait_for_parent ? nlohmann::json{{"waiting_for", job.parent_job_id}}
                                         : nlohmann::json{{"run_at", TimeOrNull(run.due_at)}};
    machine.Record(job, &run, "scheduled", std::move(why));
  }
  if (ready) {
    if (!machine.InsertTakingIfAwaited(job, run)) machine.Announce(job, run);
  } else if (run.due_at) {
    tx.OnCommit([&notifier, t = *run.due_at] { notifier.WakeAt(t); });
  }
}

// Everything a create does inside the transaction. It works on a copy of `input.job`: a
// transaction runner may run it again (after a conflict, or alone after its group failed),
// and each attempt must start from the request as validated.
Result<CreatedJob> CreateInTx(Tx& tx, WorkNotifier& notifier, const std::string& project_id,
                              const ValidatedCreate& input) {
  JobRecord job = input.job;
  if (!job.idempotency_key.empty()) {
    if (auto earlier = tx.jobs().FindIdempotencyKey(project_id, job.idempotency_key)) {
      if (earlier->request_hash != input.request_hash) {
        return Error{ErrorCode::kIdempotencyKeyReuse,
                     "idempotency key '" + job.idempotency_key +
                         "' was already used with a different body; use a new key",
                     "idempotency_key"};
      }
      return CreatedJob{{}, true, earlier->job_id, nlohmann::json::parse(earlier->response)};
    }
  }
  if (!job.slug.empty() && tx.jobs().SlugTaken(project_id, job.slug, "")) {
    return Error{ErrorCode::kConflict,
                 "slug '" + job.slug + "' belongs to another job; pick another or delete that job",
                 "slug"};
  }
  bool wait_for_parent = false;
  if (!job.parent_job_id.empty()) {
    auto parent = tx.jobs().Find(project_id, job.parent_job_id);
    if (!parent || parent->deleted_at) {
      return Error{ErrorCode::kParentNotFound,
                   "parent job " + job.parent_job_id + " does not exist", "parent_job_id"};
    }
    if (parent->state == JobState::kCancelled || parent->state == JobState::kDeadLetter) {
      return Error{ErrorCode::kParentTerminal,
                   "parent job " + parent->id + " is " + std::string(ToString(parent->state)) +
                       " and will never succeed",
                   "parent_job_id"};
    }
    job.parent_job_id = parent->id;  // given by slug or by id: children are found by id
    wait_for_parent = parent->state != JobState::kSucceeded;
  }
  StateMachine machine(tx, notifier);
  if (input.plan.recurring) {
    AddRecurringJob(tx, notifier, machine, job);
  } else {
    AddOneOffJob(tx, notifier, machine, job, input.plan.first_run, wait_for_parent);
  }
  if (!job.idempotency_key.empty()) {
    // A replay must answer the original 201 verbatim, so that answer is kept now.
    tx.jobs().InsertIdempotencyKey(project_id, job.idempotency_key,
                                   {input.request_hash, job.id, JobViewText(job)}, tx.now());
  }
  std::string id = job.id;
  return CreatedJob{std::move(job), false, std::move(id), nullptr};
}

// Loads a live job for a mutation inside a transaction.
Result<JobRecord> LiveJob(Tx& tx, const std::string& project_id, const std::string& id_or_slug) {
  auto job = tx.jobs().Find(project_id, id_or_slug);
  if (!job || job->deleted_at) return JobNotFound(id_or_slug);
  return std::move(*job);
}

Result<RunRecord> LatestRun(Tx& tx, const JobRecord& job) {
  auto run = tx.runs().FindOfJob(job.id, job.last_run_id);
  if (!run) return Error{ErrorCode::kInternal, "job " + job.id + " has no run"};
  return std::move(*run);
}

// A cancelled job fires no more: a recurring one is disabled as a pause is (PATCH
// {"enabled": true} turns it back on), a one-off one will not fire.
void DisableCancelled(Tx& tx, StateMachine& machine, JobRecord& job) {
  bool recurring = IsRecurring(job);
  if (recurring) {
    job.spec.enabled = false;
    job.spec_text.clear();
    machine.Record(job, nullptr, "paused", {{"reason", "the job was cancelled"}});
  }
  // A recurring job that never fired has no run to take the cancelled state from.
  if (job.state == JobState::kPending || job.state == JobState::kScheduled)
    job.state = JobState::kCancelled;
  job.enabled = false;
  job.next_run_at.reset();
  job.updated_at = tx.now();
  tx.jobs().Save(job);
}

}  // namespace

Error JobNotFound(const std::string& id) {
  return Error{ErrorCode::kJobNotFound, "job " + id.substr(0, 100) + " does not exist"};
}

Result<CreatedJob> JobService::Create(const std::string& project_id, const nlohmann::json& body,
                                      const std::string& idempotency_header) {
  auto input = ValidateCreate(body, idempotency_header, project_id, ctx_.clock.Now());
  if (!input) return input.error();
  return ctx_.writer.Run<CreatedJob>(
      [&](Tx& tx) { return CreateInTx(tx, ctx_.notifier, project_id, *input); });
}

Result<std::vector<CreatedJob>> JobService::CreateBatch(const std::string& project_id,
                                                        const nlohmann::json& body,
                                                        nlohmann::json* item_errors) {
  const nlohmann::json* items = &body;
  if (body.is_object()) {
    if (body.size() != 1 || !body.contains("jobs")) {
      return InvalidRequest("a batch is {\"jobs\": [ …job bodies… ]}", "jobs");
    }
    items = &body["jobs"];
  }
  if (!items->is_array() || items->empty() || items->size() > kMaxJobsInBatch) {
    return InvalidRequest("jobs must be a list of 1 to 1000 job bodies", "jobs");
  }
  std::vector<ValidatedCreate> inputs;
  inputs.reserve(items->size());
  nlohmann::json errors = nlohmann::json::array();
  TimePoint now = ctx_.clock.Now();
  for (size_t i = 0; i < items->size(); ++i) {
    auto input = ValidateCreate((*items)[i], "", project_id, now);
    if (input) {
      inputs.push_back(std::move(*input));
    } else {
      errors.push_back(BatchItemError(i, input.error()));
    }
  }
  if (!errors.empty()) {
    Error error =
        InvalidRequest(std::to_string(errors.size()) + " of " + std::to_string(items->size()) +
                       " jobs are invalid; nothing was created (see errors)");
    error.field = BatchItemField(errors[0]);
    if (item_errors) *item_errors = std::move(errors);
    return error;
  }
  std::optional<size_t> failed_item;
  auto created =
      ctx_.writer.Run<std::vector<CreatedJob>>([&](Tx& tx) -> Result<std::vector<CreatedJob>> {
        failed_item.reset();  // an attempt before this one (run again) may have set it
        std::vector<CreatedJob> all;
        all.reserve(inputs.size());
        for (size_t i = 0; i < inputs.size(); ++i) {
          auto one = CreateInTx(tx, ctx_.notifier, project_id, inputs[i]);
          if (!one) {
            failed_item = i;
            return one.error();
          }
          all.push_back(std::move(*one));
        }
        return all;
      });
  if (!created && failed_item) {
    // A rule that needs the database (slug, parent, idempotency key) refused one item.
    nlohmann::json detail = BatchItemError(*failed_item, created.error());
    Error error = created.error();
    error.message = "jobs[" + std::to_string(*failed_item) + "]: " + error.message +
                    "; nothing was created (see errors)";
    error.field = BatchItemField(detail);
    if (item_errors) *item_errors = nlohmann::json::array({std::move(detail)});
    return error;
  }
  return created;
}

Result<JobRecord> JobService::Get(const std::string& project_id, const std::string& id_or_slug) {
  auto reader = ctx_.readers.Acquire();
  auto job = reader->jobs().Find(project_id, id_or_slug);
  if (!job) return JobNotFound(id_or_slug);
  return std::move(*job);
}

Result<Page<JobRecord>> JobService::List(const std::string& project_id, const JobFilter& filter,
                                         const std::string& cursor_text, int limit) {
  auto cursor = CursorFrom(cursor_text);
  if (!cursor) return cursor.error();
  auto reader = ctx_.readers.Acquire();
  return PageOfRows(reader->jobs().List(project_id, filter, *cursor, limit + 1), limit);
}

Result<JobRecord> JobService::Delete(const std::string& project_id, const std::string& id_or_slug) {
  return ctx_.writer.Run<JobRecord>([&](Tx& tx) -> Result<JobRecord> {
    auto job = LiveJob(tx, project_id, id_or_slug);
    if (!job) return job.error();
    StateMachine machine(tx, ctx_.notifier);
    for (RunRecord& run : tx.runs().OfJobInState(
             job->id, {RunState::kPending, RunState::kScheduled, RunState::kFailed})) {
      machine.Cancel(*job, run, "job deleted");
    }
    machine.CancelWaitingChildren(*job, "parent job " + job->id + " was deleted");
    job->deleted_at = tx.now();
    job->next_run_at.reset();
    job->updated_at = tx.now();
    tx.jobs().Save(*job);
    machine.Record(*job, nullptr, "deleted");
    return std::move(*job);
  });
}

Result<JobRecord> JobService::Cancel(const std::string& project_id, const std::string& id_or_slug) {
  return ctx_.writer.Run<JobRecord>([&](Tx& tx) -> Result<JobRecord> {
    auto job = LiveJob(tx, project_id, id_or_slug);
    if (!job) return job.error();
    if (job->state != JobState::kPending && job->state != JobState::kScheduled) {
      return Error{ErrorCode::kInvalidState,
                   "job " + job->id + " is " + std::string(ToString(job->state)) +
                       "; only pending or scheduled jobs can be cancelled"};
    }
    StateMachine machine(tx, ctx_.notifier);
    for (RunRecord& run : tx.runs().OfJobInState(
             job->id, {RunState::kPending, RunState::kScheduled, RunState::kFailed})) {
      machine.Cancel(*job, run, "cancelled by request");
    }
    machine.CancelWaitingChildren(*job, "parent job " + job->id + " was cancelled");
    DisableCancelled(tx, machine, *job);
    return std::move(*job);
  });
}

Result<JobRecord> JobService::Retry(const std::string& project_id, const std::string& id_or_slug) {
  return ctx_.writer.Run<JobRecord>([&](Tx& tx) -> Result<JobRecord> {
    auto job = LiveJob(tx, project_id, id_or_slug);
    if (!job) return job.error();
    if (job->state != JobState::kFailed && job->state != JobState::kDeadLetter) {
      return Error{ErrorCode::kInvalidState,
                   "job " + job->id + " is " + std::string(ToString(job->state)) +
                       "; only failed or dead_letter jobs can be retried"};
    }
    auto run = LatestRun(tx, *job);
    if (!run) return run.error();
    if (run->attempt >= run->max_attempts) {
      run->max_attempts = run->attempt + 1;
      job->max_attempts = run->max_attempts;
    }
    run->error = nullptr;
    run->failure_reason.clear();
    run->started_at.reset();
    run->completed_at.reset();
    run->duration_ms.reset();
    run->worker_id.clear();
    run->lease_id.clear();
    run->progress.reset();
    StateMachine machine(tx, ctx_.notifier);
    machine.Record(*job, &*run, "retried", {{"max_attempts", run->max_attempts}});
    machine.MakeReady(*job, *run);
    return std::move(*job);
  });
}

Result<Page<EventRecord>> JobService::Events(const std::string& project_id,
                                             const std::string& id_or_slug,
                                             const std::string& cursor_text, int limit) {
  std::optional<int64_t> before;
  if (!cursor_text.empty()) {
    auto decoded = DecodeCursor(cursor_text);
    if (!decoded) return decoded.error();
    before = decoded->created_ms;  // for events the cursor carries the row position
  }
  auto reader = ctx_.readers.Acquire();
  auto job = reader->jobs().Find(project_id, id_or_slug);
  if (!job) return JobNotFound(id_or_slug);
  return PageOfRows(reader->events().OfJob(job->id, before, limit + 1), limit,
                    [](const EventRecord& event) {
                      return PageCursor{event.rowid, event.id};
                    });
}

}  // namespace flare::daemon

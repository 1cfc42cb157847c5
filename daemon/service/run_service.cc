#include "daemon/service/run_service.h"

#include "common/json_fields.h"
#include "daemon/service/job_service.h"
#include "daemon/service/scheduled_fires.h"
#include "daemon/store/job_store.h"

namespace flare::daemon {
namespace {

Error RunNotFound(const std::string& id) {
  return Error{ErrorCode::kRunNotFound, "run " + id.substr(0, 100) + " does not exist"};
}

}  // namespace

Result<Page<RunRecord>> RunService::List(const std::string& project_id, RunFilter filter,
                                         const std::string& cursor_text, int limit) {
  auto cursor = CursorFrom(cursor_text);
  if (!cursor) return cursor.error();
  auto reader = ctx_.readers.Acquire();
  if (!filter.job_id.empty()) {
    auto job = reader->jobs().Find(project_id, filter.job_id);  // accepts a slug too
    if (!job) return JobNotFound(filter.job_id);
    filter.job_id = job->id;
  }
  return PageOfRows(reader->runs().List(project_id, filter, *cursor, limit + 1), limit);
}

Result<RunRecord> RunService::Get(const std::string& project_id, const std::string& run_id) {
  auto reader = ctx_.readers.Acquire();
  auto run = reader->runs().Find(project_id, run_id);
  if (!run) return RunNotFound(run_id);
  return std::move(*run);
}

Result<RunRecord> RunService::Trigger(const std::string& project_id,
                                      const std::string& job_id_or_slug,
                                      const nlohmann::json& body) {
  if (auto unknown = RejectUnknownFields(body, {"payload"}); !unknown) return unknown.error();
  if (body.contains("payload") && !body["payload"].is_object() && !body["payload"].is_null()) {
    return InvalidRequest("payload must be a JSON object", "payload");
  }
  return ctx_.writer.Run<RunRecord>([&](Tx& tx) -> Result<RunRecord> {
    auto job = tx.jobs().Find(project_id, job_id_or_slug);
    if (!job || job->deleted_at) return JobNotFound(job_id_or_slug);
    StateMachine machine(tx, ctx_.notifier);
    RunRecord run =
        BuildRunForTrigger(tx, machine, *job, "MANUAL", body.value("payload", nlohmann::json()), "",
                           "created", {{"trigger", "MANUAL"}});
    return run;
  });
}

Result<RunRecord> RunService::Rerun(const std::string& project_id, const std::string& run_id) {
  return ctx_.writer.Run<RunRecord>([&](Tx& tx) -> Result<RunRecord> {
    auto original = tx.runs().Find(project_id, run_id);
    if (!original) return RunNotFound(run_id);
    auto job = tx.jobs().Find(project_id, original->job_id);
    if (!job) return RunNotFound(run_id);
    if (job->deleted_at) {
      return Error{ErrorCode::kInvalidState,
                   "job " + job->id + " was deleted; its runs cannot be rerun"};
    }
    StateMachine machine(tx, ctx_.notifier);
    RunRecord run = BuildRunForTrigger(tx, machine, *job, "RERUN", original->payload, original->id,
                                       "rerun", {{"rerun_of", original->id}});
    return run;
  });
}

Result<RunRecord> RunService::Cancel(const std::string& project_id, const std::string& run_id) {
  return ctx_.writer.Run<RunRecord>([&](Tx& tx) -> Result<RunRecord> {
    auto run = tx.runs().Find(project_id, run_id);
    if (!run) return RunNotFound(run_id);
    if (IsTerminal(run->state)) {
      return Error{ErrorCode::kInvalidState, "run " + run->id + " is " +
                                                 std::string(ToString(run->state)) +
                                                 " and cannot be cancelled"};
    }
    auto job = tx.jobs().Find(project_id, run->job_id);
    if (!job) return RunNotFound(run_id);
    bool in_flight = run->state == RunState::kProcessing;
    run->cancel_requested = in_flight && !run->is_http;  // a worker learns it at its heartbeat
    StateMachine machine(tx, ctx_.notifier);
    machine.Cancel(*job, *run, "cancelled by request");
    if (in_flight && run->is_http)
      tx.OnCommit([&n = ctx_.notifier, id = run->id] { n.RunCancelled(id); });
    if (job->last_run_id == run->id) {
      machine.CancelWaitingChildren(*job, "parent job " + job->id + " was cancelled");
    }
    return std::move(*run);
  });
}

}  // namespace flare::daemon

#include "daemon/service/worker_service.h"

#include <algorithm>

#include "common/json_fields.h"
#include "daemon/service/batch_rows.h"
#include "daemon/service/job_factory.h"
#include "daemon/service/job_service.h"
#include "daemon/service/state_machine.h"
#include "daemon/service/worker_requests.h"
#include "daemon/store/job_store.h"
#include "daemon/store/run_store.h"
#include "daemon/store/worker_store.h"

namespace flare::daemon {
namespace {

// What an ack did; for a repeated ack it is rebuilt from what the first one recorded.
AckOutcome OutcomeOf(const JobRecord& job, const RunRecord& run) {
  return {job.id, run.id, run.state, run.ack_response.value("children", 0)};
}

Error LeaseLost(const std::string& job_id, const std::string& worker_id) {
  return Error{ErrorCode::kLeaseLost,
               "job " + job_id + " is no longer held by worker " + worker_id +
                   " (its lease expired, it was re-claimed or it finished); nothing was changed"};
}

// HTTP runs belong to the executor: no worker holds one, whatever it calls itself.
bool HoldsLease(const RunRecord& run, const std::string& worker_id, const std::string& lease_id) {
  return !run.is_http && run.state == RunState::kProcessing && run.worker_id == worker_id &&
         (lease_id.empty() || lease_id == run.lease_id);
}

// The runs a worker's call acts on (SPEC §6): the run it names by run_id and/or lease_id,
// else every run of the job this worker holds — never another run of the same job, which
// may be running elsewhere at the same time (cron `allow`, trigger, rerun).
std::vector<RunRecord> HeldRuns(Tx& tx, BatchRows& rows, const std::string& job_id,
                                const std::string& worker_id, const std::string& run_id,
                                const std::string& lease_id) {
  std::vector<RunRecord> held;
  if (!run_id.empty()) {
    auto run = rows.TakeRunOfJob(tx, job_id, run_id);
    if (run && HoldsLease(*run, worker_id, lease_id)) held.push_back(std::move(*run));
    return held;
  }
  for (RunRecord& run : tx.runs().OfJobHeldBy(job_id, worker_id)) {
    if (HoldsLease(run, worker_id, lease_id)) held.push_back(std::move(run));
  }
  return held;
}

std::vector<RunRecord> HeldRuns(Tx& tx, const std::string& job_id, const std::string& worker_id,
                                const std::string& run_id, const std::string& lease_id) {
  BatchRows none;
  return HeldRuns(tx, none, job_id, worker_id, run_id, lease_id);
}

void EnsureWorker(Tx& tx, const std::string& project_id, const std::string& worker_id,
                  const std::vector<std::string>& queues, const std::vector<std::string>& types) {
  tx.workers().TouchOrRegister({project_id, worker_id, queues, types, tx.now(), tx.now(), 0});
}

Result<AckOutcome> ApplyAck(Tx& tx, WorkNotifier& notifier, const BatchRows& rows, JobRecord& job,
                            RunRecord& run, const AckRequest& ack) {
  StateMachine machine(tx, notifier);
  machine.KnowWaitingParents(
      [&rows](const std::string& id) { return rows.MayHaveWaitingChildren(id); });
  // Remembered with the transition's own save, so a repeated ack can be answered alike.
  run.acked_lease_id = run.lease_id;
  run.ack_response = {{"status", ack.succeeded ? "succeeded" : "failed"}, {"children", 0}};
  int children = 0;
  if (ack.succeeded) {
    children = machine.Succeed(job, run, ack.duration_ms, StoredJson::Of(ack.result));
    if (children > 0) {
      run.ack_response["children"] = children;
      tx.runs().Save(run);
    }
  } else {
    AttemptFailure failure{"WORKER_ERROR", ack.error, ack.retryable, std::nullopt};
    if (failure.error.is_null()) {
      failure.error = {{"type", "WorkerError"},
                       {"message", "the worker reported a failure"},
                       {"stack_trace", nullptr}};
    }
    machine.FailAttempt(job, run, failure, ack.duration_ms);
  }
  return OutcomeOf(job, run);
}

// One ack inside the caller's transaction (a single ack or an item of a list), whose caller
// has marked the worker seen; `rows` holds what a list loaded for its items.
Result<AckOutcome> AckInTx(Tx& tx, WorkNotifier& notifier, BatchRows& rows,
                           const std::string& project_id, const AckRequest& ack) {
  auto job = rows.TakeJob(tx, project_id, ack.job_id);
  if (!job) return JobNotFound(ack.job_id);
  auto held = HeldRuns(tx, rows, job->id, ack.worker_id, ack.run_id, ack.lease_id);
  if (!held.empty()) return ApplyAck(tx, notifier, rows, *job, held.front(), ack);
  auto run = tx.runs().FindOfJob(job->id, ack.run_id.empty() ? job->last_run_id : ack.run_id);
  if (!run) {
    return Error{ErrorCode::kRunNotFound,
                 "run " + ack.run_id + " of job " + job->id + " does not exist"};
  }
  // The same ack again (a retry after a lost response) answers as the first one did.
  const auto& earlier = run->ack_response;
  bool same_claim = !run->is_http && !run->acked_lease_id.empty() &&
                    run->worker_id == ack.worker_id &&
                    (ack.lease_id.empty() || ack.lease_id == run->acked_lease_id);
  if (same_claim && earlier.is_object() &&
      earlier.value("status", "") == (ack.succeeded ? "succeeded" : "failed")) {
    return OutcomeOf(*job, *run);
  }
  return LeaseLost(job->id, ack.worker_id);
}

// Claims up to request.max_jobs ready runs for the worker inside `tx` (a poll's claim, or
// the next jobs an ack asked for).
ClaimedRuns ClaimInTx(Tx& tx, WorkNotifier& notifier, const std::string& project_id,
                      const PollRequest& request) {
  EnsureWorker(tx, project_id, request.worker_id, request.queues, request.job_types);
  ClaimedRuns claimed;
  StateMachine machine(tx, notifier);
  std::vector<RunRecord> runs =
      tx.runs().Claimable(project_id, request.queues, request.job_types, request.max_jobs);
  std::vector<std::string> job_ids;
  for (const RunRecord& run : runs) job_ids.push_back(run.job_id);
  BatchRows rows;  // their jobs, locked by one read
  rows.LoadJobs(tx, project_id, job_ids);
  for (RunRecord& run : runs) {
    auto job = rows.TakeJob(tx, project_id, run.job_id);
    if (!job) continue;
    if (IsPaused(*job)) {  // never claimed while paused: held until the resume
      machine.Hold(*job, run);
      continue;
    }
    machine.Start(*job, run, request.worker_id);
    claimed.push_back(ClaimOf(*job, run));
  }
  return claimed;
}

// An ack's {"next": {max_jobs?, queues?, job_types?}}: a poll's claim for `worker_id` that
// never waits; none when the ack did not ask.
Result<std::optional<PollRequest>> ParseNext(const nlohmann::json& body,
                                             const std::string& worker_id) {
  auto next = body.find("next");
  if (next == body.end() || next->is_null()) return std::optional<PollRequest>();
  if (!next->is_object() || next->contains("worker_id") || next->contains("wait_seconds")) {
    return InvalidRequest(
        "next must be an object {max_jobs, queues?, job_types?}: the jobs to claim for the "
        "ack's worker once the ack is taken (it never waits; poll for that)",
        "next");
  }
  if (worker_id.empty()) {
    return InvalidRequest(
        "a list ack with next needs the list's worker_id: the worker the "
        "next jobs are claimed for",
        "worker_id");
  }
  nlohmann::json poll = *next;
  poll["worker_id"] = worker_id;
  poll["wait_seconds"] = 0;
  auto request = WorkerService::ParsePoll(poll);
  if (!request) {
    Error error = request.error();
    error.message = "next: " + error.message;
    if (!error.field.empty()) error.field = "next." + error.field;
    return error;
  }
  return std::optional<PollRequest>(std::move(*request));
}

}  // namespace

Result<Registration> WorkerService::Register(const std::string& project_id,
                                             const nlohmann::json& body) {
  if (auto unknown = RejectUnknownFields(body, {"worker_id", "queues", "job_types"}); !unknown) {
    return unknown.error();
  }
  auto worker_id = ReadWorkerId(body);
  if (!worker_id) return worker_id.error();
  auto queues = ReadNameList(body, "queues", false);
  if (!queues) return queues.error();
  auto types = ReadNameList(body, "job_types", false);
  if (!types) return types.error();
  if (queues->empty()) queues->push_back("default");
  return ctx_.writer.Run<Registration>([&](Tx& tx) -> Result<Registration> {
    tx.workers().Upsert({project_id, *worker_id, *queues, *types, tx.now(), tx.now(), 0});
    return Registration{*worker_id};
  });
}

Result<PollRequest> WorkerService::ParsePoll(const nlohmann::json& body) {
  if (auto unknown = RejectUnknownFields(
          body, {"worker_id", "queues", "job_types", "max_jobs", "wait_seconds"});
      !unknown) {
    return unknown.error();
  }
  PollRequest request;
  auto worker_id = ReadWorkerId(body);
  if (!worker_id) return worker_id.error();
  request.worker_id = *worker_id;
  auto queues = ReadNameList(body, "queues", false);
  if (!queues) return queues.error();
  request.queues = queues->empty() ? std::vector<std::string>{"default"} : *queues;
  auto types = ReadNameList(body, "job_types", false);
  if (!types) return types.error();
  request.job_types = *types;
  if (body.contains("max_jobs")) {
    auto max_jobs = ReadInteger(body["max_jobs"], "max_jobs", 1, 100);
    if (!max_jobs) return max_jobs.error();
    request.max_jobs = static_cast<int>(*max_jobs);
  }
  if (body.contains("wait_seconds")) {
    auto wait = ReadInteger(body["wait_seconds"], "wait_seconds", 0, 60);
    if (!wait) return wait.error();
    request.wait_seconds = static_cast<int>(*wait);
  }
  return request;
}

Result<ClaimedRuns> WorkerService::Claim(const std::string& project_id,
                                         const PollRequest& request) {
  return ctx_.writer.RunRelaxed<ClaimedRuns>([&](Tx& tx) -> Result<ClaimedRuns> {
    return ClaimInTx(tx, ctx_.notifier, project_id, request);
  });
}

Result<AckReply> WorkerService::Ack(const std::string& project_id, const nlohmann::json& body) {
  auto ack = ParseAck(body);
  if (!ack) return ack.error();
  auto next = ParseNext(body, ack->worker_id);
  if (!next) return next.error();
  return ctx_.writer.RunRelaxed<AckReply>([&](Tx& tx) -> Result<AckReply> {
    tx.workers().Touch(project_id, ack->worker_id, tx.now());
    BatchRows none;
    auto outcome = AckInTx(tx, ctx_.notifier, none, project_id, *ack);
    if (!outcome) return outcome.error();  // refused: nothing is claimed either
    AckReply reply{std::move(*outcome), std::nullopt};
    if (*next) reply.next = ClaimInTx(tx, ctx_.notifier, project_id, **next);
    return reply;
  });
}

Result<AckListReply> WorkerService::AckList(const std::string& project_id,
                                            const nlohmann::json& body) {
  auto items = ParseAckList(body);
  if (!items) return items.error();
  auto next = ParseNext(body, body.value("worker_id", ""));
  if (!next) return next.error();
  return ctx_.writer.RunRelaxed<AckListReply>([&](Tx& tx) -> Result<AckListReply> {
    // One transaction for the list; each item answers alone. An item that fails changes
    // nothing (every refusal comes before its writes), so the others stand.
    // The list's jobs and runs are locked by one read each; each worker is marked seen once.
    std::vector<std::string> job_ids, run_ids, worker_ids;
    for (const Result<AckRequest>& item : *items) {
      if (!item) continue;
      job_ids.push_back(item->job_id);
      if (!item->run_id.empty()) run_ids.push_back(item->run_id);
      if (std::find(worker_ids.begin(), worker_ids.end(), item->worker_id) == worker_ids.end())
        worker_ids.push_back(item->worker_id);
    }
    for (const std::string& worker_id : worker_ids)
      tx.workers().Touch(project_id, worker_id, tx.now());
    BatchRows rows;
    rows.LoadJobs(tx, project_id, job_ids);
    rows.LoadRuns(tx, project_id, run_ids);
    rows.LoadWaitingParents(tx);
    AckListReply reply;
    reply.outcomes.reserve(items->size());
    for (const Result<AckRequest>& item : *items) {
      reply.outcomes.push_back(item ? AckInTx(tx, ctx_.notifier, rows, project_id, *item)
                                    : Result<AckOutcome>(item.error()));
    }
    if (*next) reply.next = ClaimInTx(tx, ctx_.notifier, project_id, **next);
    return reply;
  });
}

Result<HeartbeatReply> WorkerService::Heartbeat(const std::string& project_id,
                                                const nlohmann::json& body) {
  if (auto unknown = RejectUnknownFields(body, {"worker_id", "jobs"}); !unknown)
    return unknown.error();
  auto worker_id = ReadWorkerId(body);
  if (!worker_id) return worker_id.error();
  auto items = ParseHeartbeatJobs(body);
  if (!items) return items.error();
  return ctx_.writer.RunRelaxed<HeartbeatReply>([&](Tx& tx) -> Result<HeartbeatReply> {
    EnsureWorker(tx, project_id, *worker_id, {"default"}, {});
    // `cancel` names jobs (SPEC §6); `cancel_runs` names the runs, for a worker that holds
    // more than one run of a job.
    HeartbeatReply reply;
    auto add_once = [](std::vector<std::string>& list, const std::string& id) {
      if (std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
    };
    auto tell = [&](const std::string& job_id, const std::string& run_id) {
      add_once(reply.cancel, job_id);
      if (!run_id.empty()) add_once(reply.cancel_runs, run_id);
    };
    StateMachine machine(tx, ctx_.notifier);
    for (const auto& item : *items) {
      auto job = tx.jobs().Find(project_id, item.job_id);
      auto held = job ? HeldRuns(tx, job->id, *worker_id, item.run_id, item.lease_id)
                      : std::vector<RunRecord>{};
      if (held.empty()) {
        tell(item.job_id, item.run_id);  // not held any more: the worker should stop it
        continue;
      }
      for (RunRecord& run : held) {
        if (item.progress) run.progress = *item.progress;
        if (item.extend_seconds) {
          auto extended = tx.now() + std::chrono::seconds(*item.extend_seconds);
          if (extended > *run.lease_expires_at) run.lease_expires_at = extended;
        }
        machine.Save(*job, run);
      }
    }
    for (const CancelNotice& notice : tx.runs().TakeCancelNotices(project_id, *worker_id)) {
      tell(notice.job_id, notice.run_id);
    }
    return reply;
  });
}

Result<ProgressRecorded> WorkerService::Progress(const std::string& project_id,
                                                 const nlohmann::json& body) {
  if (auto unknown =
          RejectUnknownFields(body, {"worker_id", "job_id", "run_id", "lease_id", "progress"});
      !unknown) {
    return unknown.error();
  }
  auto worker_id = ReadWorkerId(body);
  if (!worker_id) return worker_id.error();
  auto item = ParseProgress(body);
  if (!item) return item.error();
  return ctx_.writer.RunRelaxed<ProgressRecorded>([&](Tx& tx) -> Result<ProgressRecorded> {
    auto job = tx.jobs().Find(project_id, item->job_id);
    if (!job) return JobNotFound(item->job_id);
    auto held = HeldRuns(tx, job->id, *worker_id, item->run_id, item->lease_id);
    if (held.empty()) return LeaseLost(job->id, *worker_id);
    tx.workers().Touch(project_id, *worker_id, tx.now());
    StateMachine machine(tx, ctx_.notifier);
    for (RunRecord& run : held) {
      run.progress = *item->progress;
      machine.Save(*job, run);
      machine.Record(*job, &run, "progress", {{"progress", *item->progress}});
    }
    return ProgressRecorded{job->id, *item->progress};
  });
}

Result<WorkerList> WorkerService::List(const std::string& project_id) {
  auto reader = ctx_.readers.Acquire();
  return WorkerList{reader->workers().List(project_id), ctx_.clock.Now()};
}

ClaimedRun ClaimForParkedPollInTx(Tx& tx, StateMachine& machine, JobRecord& job, RunRecord& run,
                                  const ReservedPoll& poll) {
  EnsureWorker(tx, run.project_id, poll.worker_id, poll.queues, poll.job_types);
  machine.Start(job, run, poll.worker_id);
  return ClaimOf(job, run);
}

}  // namespace flare::daemon

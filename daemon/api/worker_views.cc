#include "daemon/api/worker_views.h"

#include "daemon/service/views.h"

namespace flare::daemon {

namespace {

nlohmann::json ClaimedRunView(ClaimedRun& claim) {
  return nlohmann::json{
      {"id", claim.job_id},
      {"run_id", claim.run_id},
      {"lease_id", claim.lease_id},
      {"job_type", claim.job_type},
      {"queue", claim.queue},
      {"payload", claim.payload.value()},
      {"attempt", claim.attempt},
      {"max_attempts", claim.max_attempts},
      {"timeout_seconds", claim.timeout_seconds},
      {"tags", claim.tags.value()},
      {"lease_expires_at", TimeOrNull(claim.lease_expires_at)},
  };
}

}  // namespace

nlohmann::json PollAnswerView(ClaimedRuns claimed) {
  nlohmann::json jobs = nlohmann::json::array();
  for (ClaimedRun& claim : claimed) jobs.push_back(ClaimedRunView(claim));
  return nlohmann::json{{"jobs", std::move(jobs)}};
}

nlohmann::json RegistrationView(const Registration& registration) {
  return {{"worker_id", registration.worker_id},
          {"heartbeat_interval_seconds", registration.heartbeat_interval_seconds},
          {"ack_next", registration.ack_next}};
}

nlohmann::json AckView(const AckOutcome& ack) {
  return {{"job_id", ack.job_id},
          {"run_id", ack.run_id},
          {"state", ack.state},
          {"children_activated", ack.children_activated}};
}

nlohmann::json AckListView(const AckListOutcome& acks) {
  nlohmann::json results = nlohmann::json::array();
  for (const Result<AckOutcome>& ack : acks) {
    nlohmann::json item = ack ? AckView(*ack) : ack.error().ToJson();
    item["status"] = ack ? 200 : HttpStatusOf(ack.error().code);
    results.push_back(std::move(item));
  }
  return {{"results", std::move(results)}};
}

nlohmann::json AckReplyView(AckReply reply) {
  nlohmann::json view = AckView(reply.outcome);
  if (reply.next) view["jobs"] = PollAnswerView(std::move(*reply.next))["jobs"];
  return view;
}

nlohmann::json AckListReplyView(AckListReply reply) {
  nlohmann::json view = AckListView(reply.outcomes);
  if (reply.next) view["jobs"] = PollAnswerView(std::move(*reply.next))["jobs"];
  return view;
}

nlohmann::json HeartbeatView(const HeartbeatReply& reply) {
  return {{"ok", true}, {"cancel", reply.cancel}, {"cancel_runs", reply.cancel_runs}};
}

nlohmann::json ProgressView(const ProgressRecorded& progress) {
  return {{"ok", true}, {"job_id", progress.job_id}, {"progress", progress.progress}};
}

nlohmann::json WorkerListView(const WorkerList& list) {
  nlohmann::json data = nlohmann::json::array();
  for (const WorkerRecord& worker : list.workers) data.push_back(WorkerView(worker, list.now));
  return PageJson(std::move(data), false, "");
}

}  // namespace flare::daemon

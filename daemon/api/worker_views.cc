#include "daemon/api/worker_views.h"

#include "daemon/api/http_util.h"
#include "daemon/service/json_members.h"
#include "daemon/service/views.h"

namespace flare::daemon {

namespace {

// A claimed run as seed 000 hands it to a worker, in nlohmann's sorted key order. Written as
// text: the payload and tags go out as stored (they were dumped once, at the create) instead
// of parsed and dumped again, which cost ~40 K instructions a job of a 1 × 1 worker's
// ~680 K (callgrind), more with a larger payload.
void AppendClaimedRun(std::string& out, const ClaimedRun& claim) {
  JsonMembers m(out);
  m.Int("{\"attempt\":", claim.attempt);
  m.String(",\"id\":", claim.job_id);
  m.String(",\"job_type\":", claim.job_type);
  m.Time(",\"lease_expires_at\":", claim.lease_expires_at);
  m.String(",\"lease_id\":", claim.lease_id);
  m.Int(",\"max_attempts\":", claim.max_attempts);
  m.Raw(",\"payload\":", claim.payload.text());
  m.String(",\"queue\":", claim.queue);
  m.String(",\"run_id\":", claim.run_id);
  m.Raw(",\"tags\":", claim.tags.text());
  m.Int(",\"timeout_seconds\":", claim.timeout_seconds);
  m.End();
}

// `"jobs":[...]` after `key_prefix` (the member's separator, or '{').
void AppendJobs(std::string& out, std::string_view key_prefix, const ClaimedRuns& claimed) {
  out.append(key_prefix);
  out.append("\"jobs\":[");
  for (size_t i = 0; i < claimed.size(); ++i) {
    if (i != 0) out.push_back(',');
    AppendClaimedRun(out, claimed[i]);
  }
  out.push_back(']');
}

size_t ClaimsSize(const ClaimedRuns& claimed) {
  size_t size = 0;
  for (const ClaimedRun& claim : claimed)
    size += 320 + claim.payload.text().size() + claim.tags.text().size();
  return size;
}

}  // namespace

std::string PollAnswerText(const ClaimedRuns& claimed) {
  std::string out;
  out.reserve(16 + ClaimsSize(claimed));
  AppendJobs(out, "{", claimed);
  out.push_back('}');
  return out;
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

std::string AckReplyText(const AckReply& reply) {
  const AckOutcome& ack = reply.outcome;
  std::string out;
  out.reserve(160 + (reply.next ? ClaimsSize(*reply.next) : 0));
  JsonMembers m(out);
  m.Int("{\"children_activated\":", ack.children_activated);
  m.String(",\"job_id\":", ack.job_id);
  if (reply.next) AppendJobs(out, ",", *reply.next);
  m.String(",\"run_id\":", ack.run_id);
  m.String(",\"state\":", ToString(ack.state));
  m.End();
  return out;
}

std::string AckListReplyText(const AckListReply& reply) {
  // {"jobs": [...], "results": [...]}: the results are few and small, built as json.
  const std::string results = DumpAnswer(AckListView(reply.outcomes)["results"]);
  std::string out;
  out.reserve(32 + results.size() + (reply.next ? ClaimsSize(*reply.next) : 0));
  if (reply.next) AppendJobs(out, "{", *reply.next);
  out.append(reply.next ? ",\"results\":" : "{\"results\":");
  out.append(results);
  out.push_back('}');
  return out;
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

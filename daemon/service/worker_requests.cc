#include "daemon/service/worker_requests.h"

#include "common/json_fields.h"

namespace flare::daemon {
namespace {

Result<std::string> OptionalText(const nlohmann::json& body, const char* field, size_t max,
                                 const std::string& prefix = "") {
  if (!body.contains(field) || body[field].is_null()) return std::string();
  return ReadString(body[field], prefix + field, max);
}

Result<nlohmann::json> ReadError(const nlohmann::json& value) {
  if (value.is_null()) return nlohmann::json(nullptr);
  if (value.is_string())
    return nlohmann::json{{"type", "Error"}, {"message", value}, {"stack_trace", nullptr}};
  if (!value.is_object())
    return InvalidRequest("error must be {type, message, stack_trace}", "error");
  if (auto unknown = RejectUnknownFields(value, {"type", "message", "stack_trace"}, "error.");
      !unknown) {
    return unknown.error();
  }
  nlohmann::json out = {{"type", "Error"}, {"message", ""}, {"stack_trace", nullptr}};
  for (const char* key : {"type", "message", "stack_trace"}) {
    if (!value.contains(key) || value[key].is_null()) continue;
    auto text = ReadString(value[key], std::string("error.") + key, 65536, 0);
    if (!text) return text.error();
    out[key] = *text;
  }
  return out;
}

// job_id, run_id? and lease_id? of a heartbeat item or a progress body.
Result<HeartbeatItem> ReadHeldRun(const nlohmann::json& entry, const std::string& prefix) {
  HeartbeatItem item;
  auto job_id = ReadString(entry["job_id"], prefix + "job_id", 100);
  if (!job_id) return job_id.error();
  item.job_id = *job_id;
  auto run_id = OptionalText(entry, "run_id", 100, prefix);
  if (!run_id) return run_id.error();
  item.run_id = *run_id;
  auto lease_id = OptionalText(entry, "lease_id", 100, prefix);
  if (!lease_id) return lease_id.error();
  item.lease_id = *lease_id;
  return item;
}

}  // namespace

Result<std::string> ReadWorkerId(const nlohmann::json& body) {
  if (!body.contains("worker_id")) return InvalidRequest("worker_id is required", "worker_id");
  return ReadString(body["worker_id"], "worker_id", 200);
}

Result<std::vector<std::string>> ReadNameList(const nlohmann::json& body, const char* field,
                                              bool required) {
  std::vector<std::string> names;
  if (!body.contains(field) || body[field].is_null()) {
    if (required) return InvalidRequest(std::string(field) + " is required", field);
    return names;
  }
  const auto& list = body[field];
  if (!list.is_array() || list.size() > 100 || (required && list.empty())) {
    return InvalidRequest(std::string(field) + " must be a list of 1 to 100 names", field);
  }
  for (const auto& item : list) {
    auto name = ReadString(item, field, 500);
    if (!name) return name.error();
    names.push_back(*name);
  }
  return names;
}

Result<AckRequest> ParseAck(const nlohmann::json& body, AckForm form) {
  // `next` is the single ack's or the list's (WorkerService reads it), never an item's.
  if (auto unknown =
          form == AckForm::kSingle
              ? RejectUnknownFields(body, {"job_id", "run_id", "lease_id", "worker_id", "status",
                                           "duration_ms", "result", "error", "retryable", "next"})
              : RejectUnknownFields(body, {"job_id", "run_id", "lease_id", "worker_id", "status",
                                           "duration_ms", "result", "error", "retryable"});
      !unknown) {
    return unknown.error();
  }
  AckRequest ack;
  if (!body.contains("job_id")) return InvalidRequest("job_id is required", "job_id");
  auto job_id = ReadString(body["job_id"], "job_id", 100);
  auto worker_id = ReadWorkerId(body);
  auto run_id = OptionalText(body, "run_id", 100);
  auto lease_id = OptionalText(body, "lease_id", 100);
  for (const auto* r : {&job_id, &worker_id, &run_id, &lease_id}) {
    if (!*r) return r->error();
  }
  ack.job_id = *job_id;
  ack.worker_id = *worker_id;
  ack.run_id = *run_id;
  ack.lease_id = *lease_id;
  std::string status =
      body.value("status", nlohmann::json()).is_string() ? body["status"].get<std::string>() : "";
  if (status != "succeeded" && status != "failed") {
    return InvalidRequest("status must be succeeded or failed", "status");
  }
  ack.succeeded = status == "succeeded";
  if (body.contains("duration_ms") && !body["duration_ms"].is_null()) {
    auto ms = ReadInteger(body["duration_ms"], "duration_ms", 0, 365LL * 86400 * 1000);
    if (!ms) return ms.error();
    ack.duration_ms = *ms;
  }
  if (body.contains("result")) ack.result = body["result"];
  if (body.contains("error")) {
    auto error = ReadError(body["error"]);
    if (!error) return error.error();
    ack.error = *error;
  }
  if (body.contains("retryable")) {
    auto retryable = ReadBool(body["retryable"], "retryable");
    if (!retryable) return retryable.error();
    ack.retryable = *retryable;
  }
  return ack;
}

bool IsAckList(const nlohmann::json& body) { return body.is_object() && body.contains("acks"); }

Result<std::vector<Result<AckRequest>>> ParseAckList(const nlohmann::json& body) {
  if (auto unknown = RejectUnknownFields(body, {"worker_id", "acks", "next"}); !unknown) {
    return unknown.error();
  }
  const auto& list = body["acks"];
  if (!list.is_array() || list.empty() || list.size() > kMaxAcksPerList) {
    return InvalidRequest("acks must be a list of 1 to " + std::to_string(kMaxAcksPerList) +
                              " acks, each {job_id, run_id?, lease_id?, status, ...}",
                          "acks");
  }
  std::string worker_id;
  if (body.contains("worker_id")) {
    auto id = ReadWorkerId(body);
    if (!id) return id.error();
    worker_id = *id;
  }
  std::vector<Result<AckRequest>> items;
  items.reserve(list.size());
  for (const auto& entry : list) {
    if (!entry.is_object()) {
      items.push_back(InvalidRequest("each ack must be an object {job_id, status, ...}", "acks"));
      continue;
    }
    if (!entry.contains("worker_id") && !worker_id.empty()) {
      nlohmann::json item = entry;
      item["worker_id"] = worker_id;
      items.push_back(ParseAck(item, AckForm::kListItem));
    } else {
      items.push_back(ParseAck(entry, AckForm::kListItem));
    }
  }
  return items;
}

Result<std::vector<HeartbeatItem>> ParseHeartbeatJobs(const nlohmann::json& body) {
  std::vector<HeartbeatItem> items;
  if (!body.contains("jobs") || body["jobs"].is_null()) return items;
  if (!body["jobs"].is_array() || body["jobs"].size() > 1000) {
    return InvalidRequest(
        "jobs must be a list of {job_id, run_id?, lease_id?, progress?, extend_seconds?}", "jobs");
  }
  for (const auto& entry : body["jobs"]) {
    if (!entry.is_object() || !entry.contains("job_id")) {
      return InvalidRequest("each heartbeat job needs a job_id", "jobs");
    }
    if (auto unknown = RejectUnknownFields(
            entry, {"job_id", "run_id", "lease_id", "progress", "extend_seconds"}, "jobs[].");
        !unknown) {
      return unknown.error();
    }
    auto item = ReadHeldRun(entry, "jobs[].");
    if (!item) return item.error();
    if (entry.contains("progress") && !entry["progress"].is_null()) {
      auto progress = ReadNumber(entry["progress"], "jobs[].progress", 0.0, 1.0);
      if (!progress) return progress.error();
      item->progress = *progress;
    }
    if (entry.contains("extend_seconds") && !entry["extend_seconds"].is_null()) {
      auto extend = ReadInteger(entry["extend_seconds"], "jobs[].extend_seconds", 1, 86400);
      if (!extend) return extend.error();
      item->extend_seconds = *extend;
    }
    items.push_back(std::move(*item));
  }
  return items;
}

Result<HeartbeatItem> ParseProgress(const nlohmann::json& body) {
  if (!body.contains("job_id")) return InvalidRequest("job_id is required", "job_id");
  auto item = ReadHeldRun(body, "");
  if (!item) return item.error();
  if (!body.contains("progress")) return InvalidRequest("progress is required", "progress");
  auto progress = ReadNumber(body["progress"], "progress", 0.0, 1.0);
  if (!progress) return progress.error();
  item->progress = *progress;
  return item;
}

}  // namespace flare::daemon

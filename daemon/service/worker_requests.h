#pragma once
// Validation of the worker endpoints' bodies (SPEC §6), separate from what they do.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace flare::daemon {

struct AckRequest {
  std::string job_id;
  std::string run_id;
  std::string lease_id;
  std::string worker_id;
  bool succeeded = true;
  std::optional<int64_t> duration_ms;
  nlohmann::json result;
  nlohmann::json error;
  bool retryable = true;
};

/// One job of a heartbeat (or a progress call): the run it names by run_id and/or lease_id
/// (both optional, SPEC §6), else the run of the job this worker holds.
struct HeartbeatItem {
  std::string job_id;
  std::string run_id;
  std::string lease_id;
  std::optional<double> progress;
  std::optional<int64_t> extend_seconds;
};

Result<std::string> ReadWorkerId(const nlohmann::json& body);
Result<std::vector<std::string>> ReadNameList(const nlohmann::json& body, const char* field,
                                              bool required);
/// A single ack's body may also carry `next` (WorkerService reads it); a list's item may not.
enum class AckForm { kSingle, kListItem };
Result<AckRequest> ParseAck(const nlohmann::json& body, AckForm form = AckForm::kSingle);
/// The most acks one list may carry.
inline constexpr size_t kMaxAcksPerList = 1000;
/// True when an ack body is the list form {worker_id?, acks: [...]} rather than one ack.
bool IsAckList(const nlohmann::json& body);
/// The items of a list ack, each parsed as a single ack (an item without worker_id takes
/// the list's): an invalid item is that item's error, not the whole list's.
Result<std::vector<Result<AckRequest>>> ParseAckList(const nlohmann::json& body);
Result<std::vector<HeartbeatItem>> ParseHeartbeatJobs(const nlohmann::json& body);
/// job_id, run_id?, lease_id? and progress (required) of a progress body, as one item.
Result<HeartbeatItem> ParseProgress(const nlohmann::json& body);

}  // namespace flare::daemon

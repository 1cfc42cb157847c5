#pragma once
// The wire shape of each record (seed 004's job detail object plus SPEC §2 fields).
// Secrets never leave through a view: http header values show as "***".

#include <nlohmann/json.hpp>

#include "daemon/store/records.h"

namespace flare::daemon {

nlohmann::json JobView(const JobRecord& job);
/// JobView(job) as compact JSON text, byte for byte what dumping it writes (invalid UTF-8
/// replaced, as answers are), written without building the object: a create's answer
/// built and dumped that object for ~10 % of flared's CPU at 16 clients (perf). Stored
/// JSON columns (payload, tags) are copied as stored, which is how they were dumped.
std::string JobViewText(const JobRecord& job);
nlohmann::json RunView(const RunRecord& run);
nlohmann::json EventView(const EventRecord& event);
nlohmann::json WorkerView(const WorkerRecord& worker, TimePoint now);

/// null for an absent time, else RFC 3339 UTC with milliseconds.
nlohmann::json TimeOrNull(const OptTime& t);
/// null for an absent value.
template <typename T>
nlohmann::json OrNull(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}
/// null for empty text (an unset optional column).
inline nlohmann::json TextOrNull(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

}  // namespace flare::daemon

#include "daemon/store/stored_spec.h"

#include <functional>
#include <string>
#include <unordered_map>

namespace flare::daemon {
// Named after the file: a target's sources are compiled together in unity builds, where
// anonymous helpers of two files would share one scope.
namespace stored_spec {
namespace {

// Looked up by the column's text without copying it into a std::string first.
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

using SpecMemory = std::unordered_map<std::string, JobSpec, TextHash, std::equal_to<>>;

JobSpec Parse(std::string_view text) {
  return SpecFromSettings(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false));
}

JobSpec Recalled(std::string_view text) {
  if (text.empty()) return Parse(text);
  thread_local SpecMemory memory;
  if (auto found = memory.find(text); found != memory.end()) return found->second;
  // Forgotten all at once when full: a set of kinds larger than the memory costs what no
  // memory would (a parse per read), and the memory never holds more than its bound.
  if (memory.size() >= kRememberedSpecs) memory.clear();
  return memory.emplace(std::string(text), Parse(text)).first->second;
}

}  // namespace
}  // namespace stored_spec

JobSpec SpecFromColumn(std::string_view text) { return stored_spec::Recalled(text); }

}  // namespace flare::daemon

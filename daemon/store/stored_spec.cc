#include "daemon/store/stored_spec.h"

#include <array>
#include <string>

namespace flare::daemon {
// Named after the file: a target's sources are compiled together in unity builds, where
// anonymous helpers of two files would share one scope.
namespace stored_spec {
namespace {

// A handful: a load has a few kinds of jobs at once, and a miss costs one comparison more
// per entry. Replaced in turn, oldest first.
constexpr size_t kRemembered = 8;

struct RememberedSpec {
  std::string text;
  JobSpec spec;
};

struct SpecMemory {
  std::array<RememberedSpec, kRemembered> entries;
  size_t next = 0;
};

JobSpec Parse(std::string_view text) {
  return SpecFromSettings(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false));
}

JobSpec Recalled(std::string_view text) {
  if (text.empty()) return Parse(text);
  thread_local SpecMemory memory;
  for (const RememberedSpec& entry : memory.entries) {
    if (entry.text == text) return entry.spec;
  }
  RememberedSpec& slot = memory.entries[memory.next];
  memory.next = (memory.next + 1) % kRemembered;
  slot.text.assign(text);
  slot.spec = Parse(text);
  return slot.spec;
}

}  // namespace
}  // namespace stored_spec

JobSpec SpecFromColumn(std::string_view text) { return stored_spec::Recalled(text); }

}  // namespace flare::daemon

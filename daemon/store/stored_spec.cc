#include "daemon/store/stored_spec.h"

#include <string>

#include "daemon/store/recent_memory.h"

namespace flare::daemon {
// Named after the file: a target's sources are compiled together in unity builds, where
// anonymous helpers of two files would share one scope.
namespace stored_spec {
namespace {

using Memory = RecentMemory<std::shared_ptr<const ParsedSpec>>;

std::shared_ptr<const ParsedSpec> Parse(std::string_view text) {
  return std::make_shared<const ParsedSpec>(ParsedSpec{
      std::string(text),
      SpecFromSettings(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false))});
}

// The least recently used text is forgotten first. A burst of run_at HTTP jobs reads each
// job when its run comes due, when it begins and when it ends, with hundreds of other
// jobs' reads in between; a memory that forgot everything at once when full also forgot
// the jobs read a moment before (bench/RESULTS.md, "counting instructions").
Memory& ThisThreadsMemory() {
  thread_local Memory memory(kRememberedSpecs);
  return memory;
}

}  // namespace
}  // namespace stored_spec

std::shared_ptr<const ParsedSpec> SpecFromColumn(std::string_view text) {
  if (text.empty()) return stored_spec::Parse(text);
  stored_spec::Memory& memory = stored_spec::ThisThreadsMemory();
  if (const auto* found = memory.Find(text)) return *found;
  auto parsed = stored_spec::Parse(text);
  return memory.Remember(parsed->text, parsed);
}

void RememberSpec(const std::shared_ptr<const ParsedSpec>& spec) {
  if (!spec || spec->text.empty()) return;
  stored_spec::Memory& memory = stored_spec::ThisThreadsMemory();
  if (memory.Find(spec->text) == nullptr) memory.Remember(spec->text, spec);
}

}  // namespace flare::daemon

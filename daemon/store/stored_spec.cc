#include "daemon/store/stored_spec.h"

#include <mutex>
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
// the jobs read a moment before (bench/RESULTS.md, "counting instructions"). One lock for
// every thread: a lookup holds it for a hash and a list splice, well under a parse.
struct SharedMemory {
  std::mutex mutex;
  Memory memory{kRememberedSpecs};
};

SharedMemory& TheMemory() {
  static SharedMemory shared;
  return shared;
}

}  // namespace
}  // namespace stored_spec

std::shared_ptr<const ParsedSpec> SpecFromColumn(std::string_view text) {
  if (text.empty()) return stored_spec::Parse(text);
  stored_spec::SharedMemory& shared = stored_spec::TheMemory();
  {
    std::lock_guard lock(shared.mutex);
    if (const auto* found = shared.memory.Find(text)) return *found;
  }
  auto parsed = stored_spec::Parse(text);  // without the lock: the parse is the slow part
  std::lock_guard lock(shared.mutex);
  // Another thread may have remembered the same text meanwhile: keep the first.
  if (const auto* found = shared.memory.Find(text)) return *found;
  return shared.memory.Remember(parsed->text, parsed);
}

void RememberSpec(const std::shared_ptr<const ParsedSpec>& spec) {
  if (!spec || spec->text.empty()) return;
  stored_spec::SharedMemory& shared = stored_spec::TheMemory();
  std::lock_guard lock(shared.mutex);
  if (shared.memory.Find(spec->text) == nullptr) shared.memory.Remember(spec->text, spec);
}

size_t RememberedSpecCount() {
  stored_spec::SharedMemory& shared = stored_spec::TheMemory();
  std::lock_guard lock(shared.mutex);
  return shared.memory.size();
}

}  // namespace flare::daemon

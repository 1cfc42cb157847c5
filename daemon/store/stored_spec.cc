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
// the jobs read a moment before (bench/RESULTS.md, "counting instructions"). The shared
// memory's lock is held for a hash lookup and a list splice, well under a parse.
struct SharedMemory {
  std::mutex mutex;
  Memory memory{kRememberedSpecs};
};

// Never destroyed: a thread still reading at exit must not find it gone.
SharedMemory& TheSharedMemory() {
  static SharedMemory* shared = new SharedMemory;
  return *shared;
}

thread_local Memory* t_own_memory = nullptr;

// Runs `use(memory)` on the memory this thread uses, under the shared one's lock if need be.
template <typename Use>
auto WithMemory(Use&& use) {
  if (t_own_memory != nullptr) return use(*t_own_memory);
  SharedMemory& shared = TheSharedMemory();
  std::lock_guard lock(shared.mutex);
  return use(shared.memory);
}

// Remembers `spec` unless its text is known already (another thread may have parsed the
// same text meanwhile); the one kept is returned.
std::shared_ptr<const ParsedSpec> KeepFirst(Memory& memory,
                                            const std::shared_ptr<const ParsedSpec>& spec) {
  if (const auto* remembered = memory.Find(spec->text)) return *remembered;
  return memory.Remember(spec->text, spec);
}

}  // namespace
}  // namespace stored_spec

std::shared_ptr<const ParsedSpec> SpecFromColumn(std::string_view text) {
  using Spec = std::shared_ptr<const ParsedSpec>;
  if (text.empty()) return stored_spec::Parse(text);
  Spec found = stored_spec::WithMemory([&](stored_spec::Memory& memory) -> Spec {
    const Spec* remembered = memory.Find(text);
    return remembered != nullptr ? *remembered : nullptr;
  });
  if (found) return found;
  Spec parsed = stored_spec::Parse(text);  // outside the shared lock: the parse is the slow part
  return stored_spec::WithMemory(
      [&](stored_spec::Memory& memory) { return stored_spec::KeepFirst(memory, parsed); });
}

void RememberSpec(const std::shared_ptr<const ParsedSpec>& spec) {
  if (!spec || spec->text.empty()) return;
  stored_spec::WithMemory(
      [&](stored_spec::Memory& memory) { return stored_spec::KeepFirst(memory, spec); });
}

void GiveThisThreadItsOwnSpecMemory() {
  thread_local stored_spec::Memory own(kRememberedSpecs);
  stored_spec::t_own_memory = &own;
}

size_t RememberedSpecCount() {
  return stored_spec::WithMemory([](stored_spec::Memory& memory) { return memory.size(); });
}

}  // namespace flare::daemon

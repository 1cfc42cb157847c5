#include "daemon/store/stored_spec.h"

#include <string>

#include "daemon/store/recent_memory.h"

namespace flare::daemon {
// Named after the file: a target's sources are compiled together in unity builds, where
// anonymous helpers of two files would share one scope.
namespace stored_spec {
namespace {

JobSpec Parse(std::string_view text) {
  return SpecFromSettings(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false));
}

JobSpec Recalled(std::string_view text) {
  if (text.empty()) return Parse(text);
  // The least recently used text is forgotten first. A burst of run_at HTTP jobs reads each
  // job when its run comes due, when it begins and when it ends, with hundreds of other
  // jobs' reads in between; a memory that forgot everything at once when full also forgot
  // the jobs read a moment before (bench/RESULTS.md, "counting instructions").
  thread_local RecentMemory<JobSpec> memory(kRememberedSpecs);
  if (const JobSpec* found = memory.Find(text)) return *found;
  return memory.Remember(std::string(text), Parse(text));
}

}  // namespace
}  // namespace stored_spec

JobSpec SpecFromColumn(std::string_view text) { return stored_spec::Recalled(text); }

}  // namespace flare::daemon

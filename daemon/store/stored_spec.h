#pragma once
// A job row's `spec` column read back into a JobSpec.

#include <cstddef>
#include <string_view>

#include "common/job_spec.h"

namespace flare::daemon {

/// SpecFromSettings of the column's text. The writer reads a job at every claim, ack, fire
/// and HTTP run's start and end: parsing the same text each time was ~11 % of flared's CPU per
/// job under poll→ack and ~7 % under 1,000 `@every 1s` HTTP jobs (each its own URL, so its
/// own text). So each thread remembers the specs of the last kRememberedSpecs texts it read (per
/// thread: no lock). An HTTP job's spec is ~1 KB, so that is ~1 MB per thread at most.
constexpr size_t kRememberedSpecs = 1024;

JobSpec SpecFromColumn(std::string_view text);

}  // namespace flare::daemon

#pragma once
// A job row's `spec` column read back into a JobSpec.

#include <string_view>

#include "common/job_spec.h"

namespace flare::daemon {

/// SpecFromSettings of the column's text. Jobs of one kind share their settings, and the
/// writer reads a job at every claim and every ack: parsing the same text each time was
/// ~11 % of flared's CPU per job under poll→ack. So each thread remembers the last few texts it
/// read and their specs (per thread: no lock, and a thread reads one kind of job at a time).
JobSpec SpecFromColumn(std::string_view text);

}  // namespace flare::daemon

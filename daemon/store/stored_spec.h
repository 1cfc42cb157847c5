#pragma once
// A job row's `spec` column read back into a JobSpec.

#include <cstddef>
#include <memory>
#include <string_view>

#include "daemon/store/records.h"

namespace flare::daemon {

/// SpecFromSettings of the column's text. The writer reads a job at every claim, ack, fire
/// and HTTP run's start and end: parsing the same text each time was ~11 % of flared's CPU per
/// job under poll→ack and ~7 % under 1,000 `@every 1s` HTTP jobs (each its own URL, so its
/// own text). So the specs of the last kRememberedSpecs texts read are remembered: the
/// writer's thread keeps a memory of its own (GiveThisThreadItsOwnSpecMemory), which no other
/// reader can crowd out, and every other thread shares one. An HTTP job's spec is ~1 KB and
/// is kept with its text, so a few MB in all. (A memory for each thread grew with the request
/// threads that list jobs: in a 30-minute mixed soak flared's RSS rose from 75 to 99 MiB.)
constexpr size_t kRememberedSpecs = 1024;

std::shared_ptr<const ParsedSpec> SpecFromColumn(std::string_view text);

/// Puts `spec` back into this thread's memory, as if its text had just been read. A burst
/// of HTTP runs that come due together reads thousands of other jobs between a run's fire
/// and its begin, which had made the begin parse the spec again (~72 K instructions); the
/// executor hands back what the fire read instead. A spec whose column has changed since
/// is simply not found (the memory is keyed by the text).
void RememberSpec(const std::shared_ptr<const ParsedSpec>& spec);

/// From now on this thread remembers specs in a memory of its own, without a lock (the
/// SQLite writer's thread, which reads most of them).
void GiveThisThreadItsOwnSpecMemory();

/// How many specs the memory this thread uses holds now (at most kRememberedSpecs).
size_t RememberedSpecCount();

}  // namespace flare::daemon

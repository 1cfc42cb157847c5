#pragma once
// IANA time zones for schedules (SPEC §4). A schedule is evaluated on the wall
// clock of its zone, so every cron fire passes through ResolveLocalTime, which
// owns the one DST rule flare has: a wall-clock time that does not exist fires
// at the first instant after the gap, and one that occurs twice fires at its
// first occurrence. The zone data is the OS tz database (date/tz, USE_OS_TZDB).
// Limitation: date 3.0.1 reads only the explicit transitions of a TZif file
// (Debian's run to 2037) and ignores its POSIX-rule footer, so zones keep their
// last offset after 2037 instead of continuing DST.

#include <date/tz.h>

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace flare {

/// The zone named `iana_name`; "" and "UTC" are UTC. An unknown name is an
/// invalid_request naming the zone, with field "timezone".
Result<const date::time_zone*> LookupTimeZone(std::string_view iana_name);

/// How a wall-clock time relates to the UTC time line in one zone.
enum class LocalTimeKind {
  kUnique,    // occurs exactly once
  kGap,       // skipped by a spring-forward transition
  kRepeated,  // occurs twice because of a fall-back transition
};

/// Where a wall-clock time fires under the SPEC §4 rule.
struct ResolvedTime {
  date::sys_seconds utc;  // the first occurrence, or the end of the gap
  LocalTimeKind kind = LocalTimeKind::kUnique;
};

/// Maps a wall-clock time in `tz` to UTC: its first occurrence, or for a time
/// inside a spring-forward gap the first instant after the gap. The mapping
/// never decreases as `local` increases, which the cron search relies on.
ResolvedTime ResolveLocalTime(const date::time_zone* tz, date::local_seconds local);

/// The UTC offset in effect at `t`.
std::chrono::seconds UtcOffsetAt(const date::time_zone* tz, date::sys_seconds t);

/// "+05:30", "-04:00", "+00:00"; seconds (historic local mean time) as "+00:19:32".
std::string FormatUtcOffset(std::chrono::seconds offset);

}  // namespace flare

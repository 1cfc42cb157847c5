#pragma once
// What `flarectl cron next EXPR --tz ZONE --count N --from T` prints: the next
// fires of a schedule in UTC and on the zone's wall clock, with the DST
// behaviour of SPEC §4 spelled out where it applies.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time_format.h"

namespace flare {

/// One upcoming fire.
struct FirePreview {
  TimePoint utc;
  std::string local;       // "2026-03-08 03:00:00 EDT"
  std::string utc_offset;  // "-04:00"
  bool dst_shift = false;  // the offset differs from the previous fire's (or from `from`'s)
  std::string note;        // why a DST rule moved or merged this fire, or ""
};

/// The largest `count` PreviewFires accepts.
inline constexpr int kMaxPreviewCount = 1000;

/// The first `count` (1..kMaxPreviewCount) fires strictly after `from` of any
/// schedule ParseSchedule accepts, evaluated in `tz_name` ("" = UTC). @every
/// schedules are anchored at `from`; "now" previews as one fire at `from`;
/// one-off and finished schedules give fewer than `count` entries.
Result<std::vector<FirePreview>> PreviewFires(std::string_view schedule_text,
                                              std::string_view tz_name, TimePoint from, int count);

}  // namespace flare

#pragma once
// Times on the wire are RFC 3339. Output is always UTC with milliseconds
// ("2026-03-18T15:30:00.123Z"); input accepts any offset and any fraction.
// Inside flare a time is a millisecond-precision system_clock time point.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace flare {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

inline int64_t ToMillis(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromMillis(int64_t ms) { return TimePoint{std::chrono::milliseconds{ms}}; }

/// "2026-03-18T15:30:00.123Z".
std::string FormatTime(TimePoint t);
/// RFC 3339 date-time with 'Z' or a numeric offset; fractions beyond ms are truncated.
Result<TimePoint> ParseTime(std::string_view text);
/// "90s", "5m", "2h", "7d", "1h30m", or plain seconds "45". Zero or negative is an error.
Result<std::chrono::seconds> ParseDuration(std::string_view text);

}  // namespace flare

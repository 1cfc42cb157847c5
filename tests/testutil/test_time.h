#pragma once
// Times and zones written the way the tests read best.

#include "common/time_format.h"
#include "common/time_zone.h"

namespace flare::testing {

/// The instant an RFC 3339 text names; the tests only pass texts that parse.
inline TimePoint At(const char* text) { return ParseTime(text).value(); }

inline const date::time_zone* UtcZone() { return LookupTimeZone("UTC").value(); }

}  // namespace flare::testing

#pragma once
// Retry-After (RFC 9110 §10.2.3): delta-seconds or an HTTP-date.

#include <chrono>
#include <optional>
#include <string_view>

#include "common/time_format.h"

namespace flare::daemon {

/// Seconds to wait from `now`; a date in the past is zero; junk is nullopt.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value, TimePoint now);

}  // namespace flare::daemon

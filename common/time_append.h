#pragma once
// FormatTime's text appended to a buffer, for writers of many times (exports write millions:
// snprintf and a temporary string each were a visible share of an export's CPU).

#include <string>

#include "common/time_format.h"

namespace flare {

/// Appends FormatTime(t) ("2026-03-18T15:30:00.123Z") to `out`.
void AppendTime(std::string& out, TimePoint t);

}  // namespace flare

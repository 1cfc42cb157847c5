#pragma once
// Cron expressions (SPEC §4): the five-field Vixie dialect with names, steps,
// lists, 0-and-7 Sunday, the either-day rule and the @ macros, evaluated on the
// wall clock of an IANA zone. cron.cc explains the search and the DST rules.

#include <date/tz.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/time_format.h"
#include "common/time_zone.h"

namespace flare {

/// A parsed cron expression: one bit per allowed value of each field.
struct CronExpr {
  uint64_t minutes = 0;         // bit m: minute m (0-59)
  uint32_t hours = 0;           // bit h: hour h (0-23)
  uint32_t days = 0;            // bit d: day-of-month d (1-31)
  uint16_t months = 0;          // bit m: month m (1-12)
  uint8_t weekdays = 0;         // bit w: day-of-week w (0 = Sunday .. 6); 7 is folded into 0
  bool dom_restricted = false;  // the day-of-month field does not start with '*'
  bool dow_restricted = false;  // the day-of-week field does not start with '*'
  std::string text;             // the source text, trimmed

  bool operator==(const CronExpr&) const = default;
};

/// Parses five fields or a macro. Errors are invalid_request with field
/// "schedule" and a message naming the cron field and the problem; an
/// expression that can never fire (e.g. "0 0 30 2 *") is an error too.
Result<CronExpr> ParseCron(std::string_view text);

/// One fire found by NextCronMatch.
struct CronFire {
  TimePoint utc;                                // when it fires
  date::local_seconds local;                    // the matching wall-clock minute it stands for
  LocalTimeKind kind = LocalTimeKind::kUnique;  // kGap: `local` did not exist
};

/// The first fire strictly after `after`: the earliest matching wall-clock
/// minute in `tz` whose first occurrence (or gap end) is later than `after`.
/// nullopt only when the expression never fires.
std::optional<CronFire> NextCronMatch(const CronExpr& expr, const date::time_zone* tz,
                                      TimePoint after);

/// NextCronMatch, only the instant.
std::optional<TimePoint> NextCronFire(const CronExpr& expr, const date::time_zone* tz,
                                      TimePoint after);

}  // namespace flare

#pragma once
// A job's `schedule` (SPEC §4): absent or "now", an RFC 3339 instant, a cron
// expression, or "@every <duration>". One type for all four so the scheduler
// and the CLI ask one question — when does it fire next? — the same way.

#include <date/tz.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/cron.h"
#include "common/result.h"
#include "common/time_format.h"

namespace flare {

enum class ScheduleKind {
  kNow,    // run once, when created
  kAt,     // run once at `at`
  kCron,   // recurring on `cron`
  kEvery,  // recurring every `every`, keeping the phase of its anchor
};

/// A parsed schedule; only the member for its kind is meaningful.
struct Schedule {
  ScheduleKind kind = ScheduleKind::kNow;
  TimePoint at{};
  CronExpr cron;
  std::chrono::milliseconds every{0};
  std::string text;  // the source text, trimmed ("now" when absent)

  /// True for cron and @every schedules.
  bool recurring() const { return kind == ScheduleKind::kCron || kind == ScheduleKind::kEvery; }
};

/// "" or "now"; an RFC 3339 instant; five cron fields or a macro; or
/// "@every <n>{s,m,h,d}" (combinations such as 1h30m allowed, at least 1 s).
/// Errors are invalid_request with field "schedule".
Result<Schedule> ParseSchedule(std::string_view text);

/// The next fire strictly after `after`, or nullopt when there is none:
/// kNow never (the creator fires it), kAt its instant if later than `after`,
/// kCron per NextCronFire in `tz`, kEvery the first anchor + k * every (k >= 1)
/// later than `after`, so a recurring interval never drifts.
std::optional<TimePoint> NextFire(const Schedule& schedule, const date::time_zone* tz,
                                  TimePoint after, TimePoint anchor);

}  // namespace flare

#include "common/schedule.h"

#include <cctype>

#include "common/quote.h"
#include "common/text.h"

namespace flare {
namespace {

constexpr std::string_view kEveryPrefix = "@every";
// The longest interval: ten years. Longer ones would put fires past year 9999, where times
// are no longer RFC 3339 and millisecond arithmetic nears its limits; cron's @yearly or a
// run_at says such schedules better.
constexpr std::chrono::hours kMaxEvery{24 * 3650};

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

Result<Schedule> ParseEvery(std::string_view text) {
  std::string_view rest = TrimWhitespace(text.substr(kEveryPrefix.size()));
  // A bare number would be read as seconds by ParseDuration; a schedule says
  // its unit so "@every 5" cannot be mistaken for five minutes.
  bool has_unit = !rest.empty() && std::isalpha(static_cast<unsigned char>(rest.back()));
  auto duration = ParseDuration(rest);
  if (!has_unit || !duration.ok()) {
    return InvalidRequest("\"" + Printable(text, 48) +
                              "\" is not a valid interval; use @every <n>s, <n>m or <n>h "
                              "(e.g. @every 90s, @every 1h30m), at least 1s",
                          "schedule");
  }
  if (*duration > kMaxEvery) {
    return InvalidRequest("\"" + Printable(text, 48) +
                              "\" is too long an interval; @every takes at most 3650d (ten "
                              "years): use a cron expression such as @yearly for rarer fires",
                          "schedule");
  }
  Schedule schedule;
  schedule.kind = ScheduleKind::kEvery;
  schedule.every = *duration;
  schedule.text = std::string(text);
  return schedule;
}

// The first anchor + k * every (k >= 1) later than `after`.
TimePoint NextInterval(TimePoint anchor, std::chrono::milliseconds every, TimePoint after) {
  int64_t step = every.count();
  int64_t k = 1;
  if (after >= anchor) k = (after - anchor).count() / step + 1;
  return anchor + std::chrono::milliseconds{k * step};
}

}  // namespace

Result<Schedule> ParseSchedule(std::string_view text) {
  text = TrimWhitespace(text);
  Schedule schedule;
  if (text.empty() || (text.size() == 3 && StartsWithIgnoreCase(text, "now"))) {
    schedule.text = "now";
    return schedule;
  }
  if (StartsWithIgnoreCase(text, kEveryPrefix) &&
      (text.size() == kEveryPrefix.size() ||
       std::isspace(static_cast<unsigned char>(text[kEveryPrefix.size()])))) {
    return ParseEvery(text);
  }
  // Cron never contains ':', and an RFC 3339 time always does.
  if (text.find(':') != std::string_view::npos) {
    auto at = ParseTime(text);
    if (!at.ok()) {
      return InvalidRequest("\"" + Printable(text, 48) +
                                "\" is neither an RFC 3339 time (e.g. 2026-03-18T15:30:00Z) "
                                "nor a cron expression",
                            "schedule");
    }
    schedule.kind = ScheduleKind::kAt;
    schedule.at = *at;
    schedule.text = std::string(text);
    return schedule;
  }
  auto cron = ParseCron(text);
  if (!cron.ok()) return cron.error();
  schedule.kind = ScheduleKind::kCron;
  schedule.cron = std::move(cron).value();
  schedule.text = schedule.cron.text;
  return schedule;
}

std::optional<TimePoint> NextFire(const Schedule& schedule, const date::time_zone* tz,
                                  TimePoint after, TimePoint anchor) {
  switch (schedule.kind) {
    case ScheduleKind::kNow:
      return std::nullopt;
    case ScheduleKind::kAt:
      if (schedule.at > after) return schedule.at;
      return std::nullopt;
    case ScheduleKind::kCron:
      return NextCronFire(schedule.cron, tz, after);
    case ScheduleKind::kEvery:
      if (schedule.every.count() <= 0) return std::nullopt;
      return NextInterval(anchor, schedule.every, after);
  }
  return std::nullopt;
}

}  // namespace flare

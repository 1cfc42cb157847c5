// Finding the next fire of a cron expression in a time zone.
//
// The rules (SPEC §4). A cron expression describes wall-clock minutes in the
// job's zone. Mapping wall-clock minutes to instants is usually one-to-one,
// but twice a year in DST zones it is not:
//
//   * Spring forward: a stretch of wall-clock time (02:00-02:59 in New York,
//     02:00-02:29 on Lord Howe) never happens. A matching minute in the gap
//     fires once, at the first instant after the gap (03:00 EDT in New York).
//     Several matching minutes in one gap (`*/15 2 * * *`) all land on that
//     same instant, so the job still fires once, not four times.
//   * Fall back: a stretch (01:00-01:59 in New York) happens twice. A matching
//     minute fires only at its first occurrence (EDT); the repeat (EST) is
//     silent. `*/15 * * * *` thus fires 01:00-01:45 EDT and then 02:00 EST.
//
// Both rules are one function, ResolveLocalTime: wall-clock minute -> its first
// occurrence, or the gap end. Call it R. The next fire after `after` is
//
//     min { R(L) : L a matching wall-clock minute, R(L) > after }.
//
// The search. R never decreases as L increases (before a gap R(L) < gap end,
// inside it R(L) = gap end, after it R(L) > gap end; in an overlap the first
// occurrences run on the earlier offset and then jump forward). So it suffices
// to walk matching minutes in increasing wall-clock order and return the first
// whose R exceeds `after`. Where to start: let L0 be the wall-clock time of
// `after`. `after` is one occurrence of L0, so R(L0) <= after, and by
// monotonicity R(L) <= after for every L <= L0: no fire hides before L0's
// minute. Starting at that minute, the walk skips at most the candidates whose
// first occurrence is already past (at most one overlap's worth, an hour) and
// then returns.
//
// Walking matching minutes is field by field, never minute by minute: take
// the next allowed month, then the next matching day in it (the day rule
// evaluated for the whole month at once as a 31-bit mask), then the next
// allowed hour, then the next allowed minute; when a field runs out, carry to
// the next unit of the field above. Each step is a count-trailing-zeros on a
// mask, so a typical call costs a few mask operations plus two zone lookups,
// and a rare date (29 February on a Sunday) costs one step per month visited.
//
// The day rule (Vixie cron): when both day-of-month and day-of-week are
// restricted (neither field starts with '*') a day matches if either does;
// otherwise both must (an unrestricted field matches all days, or its step
// pattern). ParseCron rejects expressions that never fire, so the 400-year
// bound below (one full Gregorian cycle) is only a guard for hand-built ones.

#include "common/cron.h"

#include <bit>

namespace flare {
namespace {

using std::chrono::floor;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr int kSearchYears = 400;

// The lowest set bit of `mask` at or above `from`, or -1.
int NextBit(uint64_t mask, unsigned from) {
  if (from >= 64) return -1;
  uint64_t rest = mask >> from;
  return rest == 0 ? -1 : static_cast<int>(from) + std::countr_zero(rest);
}

// The days of (year, month) that pass the day fields, as bits 1..31.
uint64_t MatchingDays(const CronExpr& expr, int year, unsigned month) {
  date::year_month ym{date::year{year}, date::month{month}};
  unsigned last = static_cast<unsigned>((ym / date::last).day());
  unsigned first_weekday = date::weekday{date::sys_days{ym / 1}}.c_encoding();
  // Rotate the weekday mask so bit i is the weekday of day i+1, then repeat
  // it every 7 days across the month.
  unsigned w = expr.weekdays;
  uint64_t week = ((w >> first_weekday) | (w << (7 - first_weekday))) & 0x7f;
  uint64_t by_weekday = (week | week << 7 | week << 14 | week << 21 | week << 28) << 1;
  uint64_t by_date = expr.days;
  uint64_t days = (expr.dom_restricted && expr.dow_restricted) ? (by_date | by_weekday)
                                                               : (by_date & by_weekday);
  uint64_t valid = (uint64_t{1} << (last + 1)) - 2;
  return days & valid;
}

// A wall-clock minute as calendar fields, so each field can carry into the next.
struct Cursor {
  int year;
  unsigned month, day, hour, minute;

  void StartMonth(unsigned m) { month = m, day = 1, hour = 0, minute = 0; }
  void StartDay(unsigned d) { day = d, hour = 0, minute = 0; }
  void StartHour(unsigned h) { hour = h, minute = 0; }

  date::local_seconds ToLocal() const {
    date::local_days d{date::year{year} / date::month{month} / date::day{day}};
    return d + hours{hour} + minutes{minute};
  }
};

Cursor CursorAt(date::local_seconds local) {
  date::local_days day = floor<date::days>(local);
  date::year_month_day ymd{day};
  auto in_day = floor<minutes>(local - day);
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()), static_cast<unsigned>(in_day.count() / 60),
          static_cast<unsigned>(in_day.count() % 60)};
}

// Moves `c` to the first matching wall-clock minute at or after it; false when
// there is none within the search bound.
bool AdvanceToMatch(const CronExpr& expr, Cursor& c, int last_year) {
  while (c.year <= last_year) {
    int month = NextBit(expr.months, c.month);
    if (month < 0) {
      ++c.year;
      c.StartMonth(1);
      continue;
    }
    if (static_cast<unsigned>(month) != c.month) c.StartMonth(month);
    int day = NextBit(MatchingDays(expr, c.year, c.month), c.day);
    if (day < 0) {
      c.StartMonth(c.month + 1);  // month 13 carries into the next year above
      continue;
    }
    if (static_cast<unsigned>(day) != c.day) c.StartDay(day);
    int hour = NextBit(expr.hours, c.hour);
    if (hour < 0) {
      c.StartDay(c.day + 1);  // day 32 or past the month's end carries above
      continue;
    }
    if (static_cast<unsigned>(hour) != c.hour) c.StartHour(hour);
    int minute = NextBit(expr.minutes, c.minute);
    if (minute < 0) {
      c.StartHour(c.hour + 1);  // hour 24 carries into the next day above
      continue;
    }
    c.minute = static_cast<unsigned>(minute);
    return true;
  }
  return false;
}

}  // namespace

std::optional<CronFire> NextCronMatch(const CronExpr& expr, const date::time_zone* tz,
                                      TimePoint after) {
  date::sys_seconds after_s = floor<seconds>(after);
  Cursor cursor = CursorAt(tz->to_local(after_s));
  int last_year = cursor.year + kSearchYears;
  while (AdvanceToMatch(expr, cursor, last_year)) {
    date::local_seconds local = cursor.ToLocal();
    ResolvedTime resolved = ResolveLocalTime(tz, local);
    TimePoint utc{resolved.utc};
    if (utc > after) return CronFire{utc, local, resolved.kind};
    // Already past: the repeat of an earlier occurrence, or `after`'s own minute.
    cursor = CursorAt(local + minutes{1});
  }
  return std::nullopt;
}

std::optional<TimePoint> NextCronFire(const CronExpr& expr, const date::time_zone* tz,
                                      TimePoint after) {
  auto fire = NextCronMatch(expr, tz, after);
  if (!fire) return std::nullopt;
  return fire->utc;
}

}  // namespace flare

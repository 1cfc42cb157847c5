#include "common/time_format.h"

#include <cctype>
#include <cstdio>

#include "common/time_append.h"

namespace flare {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Reads exactly `width` digits at `pos`; false when any is not a digit.
bool ReadDigits(std::string_view text, size_t& pos, int width, int& out) {
  if (pos + width > text.size()) return false;
  out = 0;
  for (int i = 0; i < width; ++i) {
    char c = text[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  pos += width;
  return true;
}

bool Expect(std::string_view text, size_t& pos, char a, char b = '\0') {
  if (pos >= text.size()) return false;
  char c = text[pos];
  if (c != a && (b == '\0' || c != b)) return false;
  ++pos;
  return true;
}

Error BadTime(std::string_view text) {
  return InvalidRequest("'" + std::string(text.substr(0, 64)) +
                        "' is not an RFC 3339 time; use e.g. 2026-03-18T15:30:00Z");
}

// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's civil_from_days:
// 400-year eras starting on March 1, so the leap day is the last day of a year).
struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};
CivilDate CivilFromDays(int64_t days) {
  days += 719468;  // 0000-03-01 to 1970-01-01
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);  // [0, 146096]
  const unsigned year_of_era =                                         // [0, 399]
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;  // March = 0
  const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

void PutDigits(char* at, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// Years outside 0000..9999 (never parsed from the API, only from odd stored values).
std::string FormatTimeWide(TimePoint t) {
  auto day_point = std::chrono::floor<days>(t);
  std::chrono::year_month_day ymd{day_point};
  std::chrono::hh_mm_ss<milliseconds> hms{t - day_point};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buffer;
}

}  // namespace

void AppendTime(std::string& out, TimePoint t) {
  constexpr int64_t kMsPerDay = 86'400'000;
  int64_t ms = ToMillis(t);
  int64_t days = ms / kMsPerDay;
  int64_t in_day = ms % kMsPerDay;
  if (in_day < 0) {  // floor, not truncation, before 1970
    in_day += kMsPerDay;
    --days;
  }
  CivilDate date = CivilFromDays(days);
  if (date.year < 0 || date.year > 9999) {
    out.append(FormatTimeWide(t));
    return;
  }
  auto clock = static_cast<unsigned>(in_day);
  char text[24] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', 'T', '0',
                   '0', ':', '0', '0', ':', '0', '0', '.', '0', '0', '0', 'Z'};
  PutDigits(text, static_cast<unsigned>(date.year), 4);
  PutDigits(text + 5, date.month, 2);
  PutDigits(text + 8, date.day, 2);
  PutDigits(text + 11, clock / 3'600'000, 2);
  PutDigits(text + 14, clock / 60'000 % 60, 2);
  PutDigits(text + 17, clock / 1000 % 60, 2);
  PutDigits(text + 20, clock % 1000, 3);
  out.append(text, sizeof text);
}

std::string FormatTime(TimePoint t) {
  std::string out;
  AppendTime(out, t);
  return out;
}

Result<TimePoint> ParseTime(std::string_view text) {
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, day) || !Expect(text, pos, 'T', 't') ||
      !ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, minute) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, second)) {
    return BadTime(text);
  }
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return BadTime(text);
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  int offset_minutes = 0;
  if (Expect(text, pos, 'Z', 'z')) {
    offset_minutes = 0;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int off_h, off_m;
    if (!ReadDigits(text, pos, 2, off_h) || !Expect(text, pos, ':') ||
        !ReadDigits(text, pos, 2, off_m) || off_h > 23 || off_m > 59) {
      return BadTime(text);
    }
    offset_minutes = sign * (off_h * 60 + off_m);
  } else {
    return BadTime(text);
  }
  if (pos != text.size()) return BadTime(text);

  std::chrono::year_month_day ymd{std::chrono::year{year},
                                  std::chrono::month{static_cast<unsigned>(month)},
                                  std::chrono::day{static_cast<unsigned>(day)}};
  // Second 60 (a leap second) is accepted as the last millisecond of that minute's end.
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return BadTime(text);
  auto t = std::chrono::sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second} +
           milliseconds{millis} - minutes{offset_minutes};
  return TimePoint{t};
}

Result<seconds> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return InvalidRequest("'" + std::string(text.substr(0, 32)) +
                          "' is not a duration; use e.g. 45s, 5m, 2h, 7d or 1h30m");
  };
  if (text.empty()) return bad();
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    int64_t number = 0;
    size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      number = number * 10 + (text[pos] - '0');
      if (number > 100'000'000) return bad();
      ++pos;
    }
    if (pos == start) return bad();
    int64_t unit = 1;
    if (pos < text.size()) {
      switch (text[pos]) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'd':
          unit = 86400;
          break;
        default:
          return bad();
      }
      ++pos;
    } else if (start != 0) {
      return bad();  // "1h30" is ambiguous: a unit is required after the first part
    }
    total += number * unit;
  }
  if (total <= 0) return bad();
  return seconds{total};
}

}  // namespace flare

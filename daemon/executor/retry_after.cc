#include "daemon/executor/retry_after.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>

namespace flare::daemon {
namespace {

constexpr int64_t kMaxDelaySeconds = 366LL * 24 * 3600;  // nobody means more than a year

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int MonthIndex(const char* name) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (std::strcmp(name, kMonths[i]) == 0) return i + 1;
  }
  return 0;
}

// IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"), the form senders must use.
std::optional<TimePoint> ParseHttpDate(std::string_view value) {
  std::string text(value);
  char weekday[4] = {}, month[4] = {}, zone[4] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%3s, %d %3s %d %d:%d:%d %3s%n", weekday, &day, month, &year, &hour,
                  &minute, &second, zone, &consumed) != 8 ||
      static_cast<size_t>(consumed) != text.size() || std::strcmp(zone, "GMT") != 0) {
    return std::nullopt;
  }
  int month_index = MonthIndex(month);
  using namespace std::chrono;
  year_month_day date{std::chrono::year{year},
                      std::chrono::month{static_cast<unsigned>(month_index)},
                      std::chrono::day{static_cast<unsigned>(day)}};
  if (month_index == 0 || !date.ok() || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  return time_point_cast<milliseconds>(sys_days{date} + hours{hour} + minutes{minute} +
                                       seconds{second});
}

}  // namespace

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value, TimePoint now) {
  value = Trim(value);
  int64_t delay = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), delay);
  if (!value.empty() && error == std::errc{} && end == value.data() + value.size()) {
    if (delay < 0) return std::nullopt;
    return std::chrono::seconds{std::min(delay, kMaxDelaySeconds)};
  }
  if (error == std::errc::result_out_of_range) return std::chrono::seconds{kMaxDelaySeconds};
  std::optional<TimePoint> at = ParseHttpDate(value);
  if (!at) return std::nullopt;
  auto wait = std::chrono::ceil<std::chrono::seconds>(*at - now);
  return std::chrono::seconds{std::clamp<int64_t>(wait.count(), 0, kMaxDelaySeconds)};
}

}  // namespace flare::daemon

#include "daemon/transport/retry_after.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace flare::daemon {
namespace {

constexpr int64_t kMaxDelaySeconds = 366LL * 24 * 3600;  // nobody means more than a year

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// curl_getdate reads the three HTTP-date forms (IMF-fixdate, RFC 850, asctime) and more.
std::optional<TimePoint> ParseHttpDate(std::string_view value) {
  std::string text(value);
  time_t seconds = curl_getdate(text.c_str(), nullptr);
  if (seconds < 0) return std::nullopt;
  return TimePoint{std::chrono::seconds{seconds}};
}

}  // namespace

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value, TimePoint now) {
  value = TrimOws(value);
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

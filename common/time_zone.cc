#include "common/time_zone.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "common/quote.h"

namespace flare {

Result<const date::time_zone*> LookupTimeZone(std::string_view iana_name) {
  std::string name = iana_name.empty() ? std::string("UTC") : std::string(iana_name);
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    // date/tz reports unknown names (and an unreadable database) by throwing;
    // this is the module edge where that becomes a one-line reason.
    return InvalidRequest("unknown time zone \"" + Printable(iana_name, 64) +
                              "\"; use an IANA name such as UTC, Europe/Berlin or "
                              "America/New_York",
                          "timezone");
  }
}

ResolvedTime ResolveLocalTime(const date::time_zone* tz, date::local_seconds local) {
  date::local_info info = tz->get_info(local);
  switch (info.result) {
    case date::local_info::nonexistent:
      // `second` is the period that starts when the clocks jump forward.
      return {info.second.begin, LocalTimeKind::kGap};
    case date::local_info::ambiguous:
      // `first` is the earlier period, so its offset gives the first occurrence.
      return {date::sys_seconds{local.time_since_epoch() - info.first.offset},
              LocalTimeKind::kRepeated};
    default:
      return {date::sys_seconds{local.time_since_epoch() - info.first.offset},
              LocalTimeKind::kUnique};
  }
}

std::chrono::seconds UtcOffsetAt(const date::time_zone* tz, date::sys_seconds t) {
  return tz->get_info(t).offset;
}

std::string FormatUtcOffset(std::chrono::seconds offset) {
  long long total = offset.count();
  char sign = total < 0 ? '-' : '+';
  total = std::llabs(total);
  char buffer[64];
  if (total % 60 == 0) {
    std::snprintf(buffer, sizeof buffer, "%c%02lld:%02lld", sign, total / 3600, total / 60 % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%c%02lld:%02lld:%02lld", sign, total / 3600,
                  total / 60 % 60, total % 60);
  }
  return buffer;
}

}  // namespace flare

// AppendTime (and FormatTime, which is built on it): RFC 3339 UTC with milliseconds, checked
// on the edges of the calendar and against the C library's gmtime over a sweep.

#include "common/time_append.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>

namespace flare {
namespace {

std::string Appended(int64_t ms) {
  std::string out = "x";
  AppendTime(out, FromMillis(ms));
  return out.substr(1);
}

// The reference: gmtime_r of the whole seconds (floored) and the millisecond remainder.
std::string Gmtime(int64_t ms) {
  int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  auto millis = static_cast<int>(ms - seconds * 1000);
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[96];  // room for any int fields: -Wformat-truncation
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return text;
}

int64_t Ms(const char* text) { return ToMillis(ParseTime(text).value()); }

TEST(AppendTime, EpochAndTheMillisecondsAroundIt) {
  EXPECT_EQ(Appended(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Appended(1), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(Appended(-1), "1969-12-31T23:59:59.999Z") << "floored, not truncated";
  EXPECT_EQ(Appended(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(Appended(86'399'999), "1970-01-01T23:59:59.999Z");
}

TEST(AppendTime, LeapYearsAndCenturies) {
  for (const char* text :
       {"2000-02-29T12:00:00.000Z", "2024-02-29T23:59:59.999Z", "2024-03-01T00:00:00.000Z",
        "2023-02-28T23:59:59.999Z", "2023-03-01T00:00:00.000Z", "1900-02-28T00:00:00.000Z",
        "1900-03-01T00:00:00.000Z", "2100-03-01T00:00:00.000Z", "2400-02-29T00:00:00.000Z",
        "1600-02-29T00:00:00.000Z", "2026-12-31T23:59:59.999Z", "0000-01-01T00:00:00.000Z",
        "0000-02-29T00:00:00.000Z", "9999-12-31T23:59:59.999Z"}) {
    EXPECT_EQ(Appended(Ms(text)), text);
  }
  EXPECT_EQ(Ms("2024-03-01T00:00:00Z") - Ms("2024-02-28T00:00:00Z"), 2 * 86'400'000);
  EXPECT_EQ(Ms("2100-03-01T00:00:00Z") - Ms("2100-02-28T00:00:00Z"), 86'400'000);
}

TEST(AppendTime, MillisecondsAreTheStoredOnesAsTheApiShowsThem) {
  // Stored times are whole milliseconds; finer input fractions are truncated on parse, so the
  // export and the API's views show the same digits.
  auto t = ParseTime("2026-03-18T15:30:00.123999Z").value();
  std::string out;
  AppendTime(out, t);
  EXPECT_EQ(out, "2026-03-18T15:30:00.123Z");
  EXPECT_EQ(out, FormatTime(t));
  EXPECT_EQ(Appended(Ms("2026-03-18T17:30:00.5+02:00")), "2026-03-18T15:30:00.500Z");
}

TEST(AppendTime, AppendsAfterWhatIsThere) {
  std::string out = "at=";
  AppendTime(out, FromMillis(0));
  AppendTime(out, FromMillis(1));
  EXPECT_EQ(out, "at=1970-01-01T00:00:00.000Z1970-01-01T00:00:00.001Z");
}

TEST(AppendTime, YearsBeyondFourDigitsKeepFormatTimesWideForm) {
  EXPECT_EQ(Appended(Ms("9999-12-31T23:59:59.999Z") + 1), "10000-01-01T00:00:00.000Z");
}

TEST(AppendTime, MatchesGmtimeOverASweepOfFourHundredYears) {
  const int64_t low = Ms("1800-01-01T00:00:00Z");
  const int64_t high = Ms("2200-01-01T00:00:00Z");
  std::mt19937_64 random(11);
  std::uniform_int_distribution<int64_t> pick(low, high);
  for (int i = 0; i < 200000; ++i) {
    int64_t ms = pick(random);
    ASSERT_EQ(Appended(ms), Gmtime(ms)) << ms;
  }
  // Every day boundary of 1999..2001 (a leap century) and the millisecond before it.
  for (int64_t day = Ms("1999-01-01T00:00:00Z"); day < Ms("2002-01-01T00:00:00Z");
       day += 86'400'000) {
    ASSERT_EQ(Appended(day), Gmtime(day));
    ASSERT_EQ(Appended(day - 1), Gmtime(day - 1));
  }
}

}  // namespace
}  // namespace flare

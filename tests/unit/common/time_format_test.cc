#include "common/time_format.h"

#include <gtest/gtest.h>

namespace flare {
namespace {

TEST(TimeFormat, FormatsUtcWithMilliseconds) {
  auto t = ParseTime("2026-03-18T15:30:00.123Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatTime(*t), "2026-03-18T15:30:00.123Z");
  EXPECT_EQ(FormatTime(FromMillis(0)), "1970-01-01T00:00:00.000Z");
}

TEST(TimeFormat, AcceptsOffsetsAndConvertsToUtc) {
  auto t = ParseTime("2026-03-18T17:30:00+02:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatTime(*t), "2026-03-18T15:30:00.000Z");
  auto west = ParseTime("2026-03-18T10:00:00.5-05:30");
  ASSERT_TRUE(west.ok());
  EXPECT_EQ(FormatTime(*west), "2026-03-18T15:30:00.500Z");
}

TEST(TimeFormat, TruncatesFractionsBeyondMilliseconds) {
  auto t = ParseTime("2026-03-18T15:30:00.123999999Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatTime(*t), "2026-03-18T15:30:00.123Z");
}

TEST(TimeFormat, RejectsMalformedTimes) {
  for (const char* bad :
       {"", "2026-03-18", "2026-03-18T15:30:00", "2026-02-30T00:00:00Z", "2026-03-18T24:00:00Z",
        "2026-03-18T15:30:00.Z", "2026-03-18T15:30:00Zjunk", "2026-13-01T00:00:00Z", "tomorrow"}) {
    auto t = ParseTime(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_EQ(t.error().code, ErrorCode::kInvalidRequest);
    }
  }
}

TEST(Duration, ParsesUnitsAndCombinations) {
  EXPECT_EQ(ParseDuration("45").value().count(), 45);
  EXPECT_EQ(ParseDuration("45s").value().count(), 45);
  EXPECT_EQ(ParseDuration("5m").value().count(), 300);
  EXPECT_EQ(ParseDuration("2h").value().count(), 7200);
  EXPECT_EQ(ParseDuration("7d").value().count(), 7 * 86400);
  EXPECT_EQ(ParseDuration("1h30m").value().count(), 5400);
}

TEST(Duration, RejectsNonsense) {
  for (const char* bad : {"", "0s", "m", "5x", "1h30", "-5s", "99999999999s"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace flare

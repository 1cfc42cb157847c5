// Schedules (SPEC §4): "now", an instant, cron, and @every with a kept phase;
// and time zone lookup.

#include "common/schedule.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/time_zone.h"
#include "tests/testutil/test_time.h"

namespace flare {
namespace {

using testing::At;
using testing::UtcZone;

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ScheduleParse, Kinds) {
  for (const char* now : {"", "now", "  NOW ", "Now"}) {
    auto s = ParseSchedule(now);
    ASSERT_TRUE(s.ok()) << now;
    EXPECT_EQ(s->kind, ScheduleKind::kNow) << now;
    EXPECT_FALSE(s->recurring());
  }
  auto at = ParseSchedule("2026-04-01T09:00:00+02:00");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->kind, ScheduleKind::kAt);
  EXPECT_EQ(FormatTime(at->at), "2026-04-01T07:00:00.000Z");
  EXPECT_FALSE(at->recurring());

  auto cron = ParseSchedule(" */5 * * * MON-FRI ");
  ASSERT_TRUE(cron.ok());
  EXPECT_EQ(cron->kind, ScheduleKind::kCron);
  EXPECT_EQ(cron->text, "*/5 * * * MON-FRI");
  EXPECT_TRUE(cron->recurring());
  auto macro = ParseSchedule("@Daily");
  ASSERT_TRUE(macro.ok());
  EXPECT_EQ(macro->kind, ScheduleKind::kCron);
  EXPECT_EQ(macro->cron, ParseCron("@Daily").value());
}

TEST(ScheduleParse, Every) {
  struct Case {
    const char* text;
    milliseconds every;
  };
  for (const Case& c : std::vector<Case>{{"@every 1s", seconds{1}},
                                         {"@every 90s", seconds{90}},
                                         {"@every 5m", minutes{5}},
                                         {"@every 2h", hours{2}},
                                         {"@every 1h30m", minutes{90}},
                                         {"@EVERY   10m", minutes{10}},
                                         {"@every 3650d", hours{24 * 3650}}}) {
    auto s = ParseSchedule(c.text);
    ASSERT_TRUE(s.ok()) << c.text << ": " << s.error().message;
    EXPECT_EQ(s->kind, ScheduleKind::kEvery);
    EXPECT_EQ(s->every, c.every) << c.text;
    EXPECT_TRUE(s->recurring());
  }
}

TEST(ScheduleParse, ErrorsAreAboutTheScheduleField) {
  for (const char* bad :
       {"@every", "@every 0s", "@every 5", "@every 500ms", "@every -5m", "@every 5x", "@everyday",
        "@every 3651d", "@every 3010322d1d", "@every 99999999999h", "2026-02-30T00:00:00Z",
        "2026-03-18T10:00", "0 0 32 * *", "every 5 minutes", "@reboot"}) {
    auto s = ParseSchedule(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidRequest) << bad;
    EXPECT_EQ(s.error().field, "schedule") << bad;
    EXPECT_FALSE(s.error().message.empty());
  }
}

TEST(ScheduleNext, NowAndAt) {
  TimePoint t = At("2026-03-18T10:00:00Z");
  EXPECT_FALSE(NextFire(ParseSchedule("now").value(), UtcZone(), t, t).has_value());
  Schedule at = ParseSchedule("2026-03-18T12:00:00Z").value();
  EXPECT_EQ(NextFire(at, UtcZone(), t, t), At("2026-03-18T12:00:00Z"));
  EXPECT_FALSE(NextFire(at, UtcZone(), At("2026-03-18T12:00:00Z"), t).has_value());
  EXPECT_FALSE(NextFire(at, UtcZone(), At("2026-03-18T13:00:00Z"), t).has_value());
}

TEST(ScheduleNext, CronUsesTheZone) {
  Schedule s = ParseSchedule("0 9 * * *").value();
  auto berlin = LookupTimeZone("Europe/Berlin").value();
  TimePoint t = At("2026-03-18T10:00:00Z");
  EXPECT_EQ(NextFire(s, berlin, t, t), At("2026-03-19T08:00:00Z"));
  EXPECT_EQ(NextFire(s, UtcZone(), t, t), At("2026-03-19T09:00:00Z"));
}

TEST(ScheduleNext, EveryCountsFromTheAnchor) {
  Schedule s = ParseSchedule("@every 1h").value();
  TimePoint anchor = At("2026-03-18T10:00:00.250Z");
  EXPECT_EQ(NextFire(s, UtcZone(), anchor - hours{5}, anchor), anchor + hours{1});
  EXPECT_EQ(NextFire(s, UtcZone(), anchor, anchor), anchor + hours{1});
  EXPECT_EQ(NextFire(s, UtcZone(), anchor + hours{1} - milliseconds{1}, anchor), anchor + hours{1});
  EXPECT_EQ(NextFire(s, UtcZone(), anchor + hours{1}, anchor), anchor + hours{2});
  // Ten years later the phase (xx:00:00.250) is unchanged.
  auto far = NextFire(s, UtcZone(), anchor + hours{24 * 3653} + minutes{17}, anchor);
  ASSERT_TRUE(far.has_value());
  EXPECT_EQ(FormatTime(*far), "2036-03-18T11:00:00.250Z");
}

TEST(ScheduleNext, EverySecondKeepsPhaseOverTenThousandFires) {
  Schedule s = ParseSchedule("@every 1s").value();
  TimePoint anchor = At("2026-03-18T10:00:00.123Z");
  TimePoint fire = anchor;
  for (int k = 1; k <= 10'000; ++k) {
    fire = NextFire(s, UtcZone(), fire, anchor).value();
    ASSERT_EQ(fire, anchor + seconds{k});
  }
}

TEST(ScheduleNext, EveryIgnoresLatenessOfTheCaller) {
  // A scheduler that asks a little late (after a slow fire) must not drift.
  Schedule s = ParseSchedule("@every 7m").value();
  TimePoint anchor = At("2026-03-18T10:00:00.500Z");
  std::mt19937 random(42);
  std::uniform_int_distribution<int> lateness_ms(0, 7 * 60 * 1000 - 1);
  TimePoint fire = anchor;
  for (int k = 1; k <= 10'000; ++k) {
    TimePoint asked = fire + milliseconds{lateness_ms(random)};
    fire = NextFire(s, UtcZone(), asked, anchor).value();
    ASSERT_EQ(fire, anchor + minutes{7} * k);
  }
}

TEST(TimeZone, LookUp) {
  EXPECT_EQ(LookupTimeZone("").value(), LookupTimeZone("UTC").value());
  auto berlin = LookupTimeZone("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  EXPECT_EQ((*berlin)->name(), "Europe/Berlin");
  auto bad = LookupTimeZone("Mars/Olympus");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(bad.error().field, "timezone");
  EXPECT_NE(bad.error().message.find("Mars/Olympus"), std::string::npos);
  auto accented = LookupTimeZone("Europe/Z\xC3\xBCrich");
  ASSERT_FALSE(accented.ok());
  EXPECT_NE(accented.error().message.find("Europe/Z\\xC3\\xBCrich"), std::string::npos)
      << accented.error().message;
}

TEST(TimeZone, FormatsOffsets) {
  EXPECT_EQ(FormatUtcOffset(hours{-4}), "-04:00");
  EXPECT_EQ(FormatUtcOffset(hours{5} + minutes{30}), "+05:30");
  EXPECT_EQ(FormatUtcOffset(seconds{0}), "+00:00");
  EXPECT_EQ(FormatUtcOffset(-(hours{3} + minutes{30})), "-03:30");
  EXPECT_EQ(FormatUtcOffset(seconds{-(4 * 3600 + 56 * 60 + 2)}), "-04:56:02");
}

TEST(TimeZone, ResolvesGapsAndRepeats) {
  auto tz = LookupTimeZone("America/New_York").value();
  auto local = [](int d, int h, int m) {
    return date::local_days{date::year{2026} / 3 / d} + hours{h} + minutes{m};
  };
  ResolvedTime gap = ResolveLocalTime(tz, local(8, 2, 30));
  EXPECT_EQ(gap.kind, LocalTimeKind::kGap);
  EXPECT_EQ(TimePoint{gap.utc}, At("2026-03-08T07:00:00Z"));
  ResolvedTime plain = ResolveLocalTime(tz, local(8, 3, 0));
  EXPECT_EQ(plain.kind, LocalTimeKind::kUnique);
  EXPECT_EQ(TimePoint{plain.utc}, At("2026-03-08T07:00:00Z"));
  ResolvedTime twice =
      ResolveLocalTime(tz, date::local_days{date::year{2026} / 11 / 1} + hours{1} + minutes{30});
  EXPECT_EQ(twice.kind, LocalTimeKind::kRepeated);
  EXPECT_EQ(TimePoint{twice.utc}, At("2026-11-01T05:30:00Z"));
}

}  // namespace
}  // namespace flare

// DST behaviour of cron schedules (SPEC §4): a wall-clock time that does not
// exist fires once at the first instant after the gap; one that occurs twice
// fires once, at its first occurrence. Tables for a one-hour shift in the
// Americas and in Europe and the 30-minute shift of Lord Howe Island.
//
// 2026 transitions used below (UTC):
//   America/New_York     2026-03-08 07:00 (02:00 EST -> 03:00 EDT)
//                        2026-11-01 06:00 (02:00 EDT -> 01:00 EST)
//   Europe/Berlin        2026-03-29 01:00 (02:00 CET -> 03:00 CEST)
//                        2026-10-25 01:00 (03:00 CEST -> 02:00 CET)
//   Australia/Lord_Howe  2026-10-03 15:30 (02:00 +10:30 -> 02:30 +11)
//                        2026-04-04 15:00 (02:00 +11 -> 01:30 +10:30)

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/cron.h"
#include "common/cron_preview.h"
#include "tests/testutil/test_time.h"

namespace flare {
namespace {

using testing::At;

struct DstCase {
  const char* zone;
  const char* expr;
  const char* after;
  std::vector<const char*> fires;  // the next fires in UTC, in order
};

void RunTable(const std::vector<DstCase>& cases) {
  for (const DstCase& c : cases) {
    auto tz = LookupTimeZone(c.zone);
    ASSERT_TRUE(tz.ok()) << c.zone;
    auto expr = ParseCron(c.expr);
    ASSERT_TRUE(expr.ok()) << c.expr;
    TimePoint after = At(c.after);
    for (const char* expected : c.fires) {
      auto next = NextCronFire(*expr, *tz, after);
      ASSERT_TRUE(next.has_value()) << c.zone << " " << c.expr;
      EXPECT_EQ(FormatTime(*next), FormatTime(At(expected)))
          << c.zone << " '" << c.expr << "' after " << FormatTime(after);
      after = *next;
    }
  }
}

TEST(CronDst, NewYork) {
  RunTable({
      // Spring forward: 02:30 does not exist; fires once at 03:00 EDT.
      {"America/New_York",
       "30 2 * * *",
       "2026-03-07T12:00:00Z",
       {"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}},
      {"America/New_York",
       "*/15 2 * * *",
       "2026-03-07T12:00:00Z",
       {"2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z", "2026-03-09T06:15:00Z"}},
      {"America/New_York",
       "0 * * * *",
       "2026-03-08T05:30:00Z",
       {"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"}},
      {"America/New_York",
       "*/15 * * * *",
       "2026-03-08T06:40:00Z",
       {"2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"}},
      {"America/New_York", "0 3 * * *", "2026-03-07T12:00:00Z", {"2026-03-08T07:00:00Z"}},
      {"America/New_York",
       "0 0 * * *",
       "2026-03-07T12:00:00Z",
       {"2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"}},
      // Fall back: 01:30 happens twice; fires only at 01:30 EDT.
      {"America/New_York",
       "30 1 * * *",
       "2026-10-31T12:00:00Z",
       {"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
      {"America/New_York",
       "*/15 * * * *",
       "2026-11-01T04:50:00Z",
       {"2026-11-01T05:00:00Z", "2026-11-01T05:15:00Z", "2026-11-01T05:30:00Z",
        "2026-11-01T05:45:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:15:00Z"}},
      // Asked from inside the repeated hour (01:20 EST): its repeats are silent.
      {"America/New_York", "*/15 * * * *", "2026-11-01T06:20:00Z", {"2026-11-01T07:00:00Z"}},
      {"America/New_York",
       "0 * * * *",
       "2026-11-01T04:30:00Z",
       {"2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"}},
      {"America/New_York", "0 2 * * *", "2026-10-31T12:00:00Z", {"2026-11-01T07:00:00Z"}},
      {"America/New_York",
       "0 0 * * *",
       "2026-10-31T12:00:00Z",
       {"2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"}},
  });
}

TEST(CronDst, Berlin) {
  RunTable({
      {"Europe/Berlin",
       "30 2 * * *",
       "2026-03-28T12:00:00Z",
       {"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
      {"Europe/Berlin",
       "*/15 * * * *",
       "2026-03-29T00:50:00Z",
       {"2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "2026-03-29T01:30:00Z"}},
      {"Europe/Berlin",
       "0 * * * *",
       "2026-03-28T23:30:00Z",
       {"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"}},
      {"Europe/Berlin",
       "0 9 * * *",
       "2026-03-28T12:00:00Z",
       {"2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"}},
      {"Europe/Berlin",
       "30 2 * * *",
       "2026-10-24T12:00:00Z",
       {"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
      {"Europe/Berlin",
       "0 * * * *",
       "2026-10-24T23:30:00Z",
       {"2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"}},
      {"Europe/Berlin",
       "*/15 2 * * *",
       "2026-10-24T12:00:00Z",
       {"2026-10-25T00:00:00Z", "2026-10-25T00:15:00Z", "2026-10-25T00:30:00Z",
        "2026-10-25T00:45:00Z", "2026-10-26T01:00:00Z"}},
      {"Europe/Berlin",
       "0 3 * * *",
       "2026-10-24T12:00:00Z",
       {"2026-10-25T02:00:00Z", "2026-10-26T02:00:00Z"}},
  });
}

TEST(CronDst, LordHoweHalfHourShift) {
  RunTable({
      // Spring: 02:00-02:29 does not exist.
      {"Australia/Lord_Howe",
       "15 2 * * *",
       "2026-10-03T00:00:00Z",
       {"2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"}},
      {"Australia/Lord_Howe", "0 2 * * *", "2026-10-03T00:00:00Z", {"2026-10-03T15:30:00Z"}},
      {"Australia/Lord_Howe",
       "*/15 * * * *",
       "2026-10-03T15:10:00Z",
       {"2026-10-03T15:15:00Z", "2026-10-03T15:30:00Z", "2026-10-03T15:45:00Z"}},
      {"Australia/Lord_Howe",
       "0 * * * *",
       "2026-10-03T14:00:00Z",
       {"2026-10-03T14:30:00Z", "2026-10-03T15:30:00Z", "2026-10-03T16:00:00Z"}},
      // Fall: 01:30-01:59 happens twice.
      {"Australia/Lord_Howe",
       "45 1 * * *",
       "2026-04-04T00:00:00Z",
       {"2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"}},
      {"Australia/Lord_Howe",
       "*/15 * * * *",
       "2026-04-04T14:20:00Z",
       {"2026-04-04T14:30:00Z", "2026-04-04T14:45:00Z", "2026-04-04T15:30:00Z",
        "2026-04-04T15:45:00Z"}},
      {"Australia/Lord_Howe",
       "0 * * * *",
       "2026-04-04T13:00:00Z",
       {"2026-04-04T14:00:00Z", "2026-04-04T15:30:00Z", "2026-04-04T16:30:00Z"}},
      {"Australia/Lord_Howe",
       "0 0 * * *",
       "2026-04-03T12:00:00Z",
       {"2026-04-03T13:00:00Z", "2026-04-04T13:00:00Z", "2026-04-05T13:30:00Z"}},
  });
}

TEST(CronDst, MatchReportsWhyAFireMoved) {
  auto tz = LookupTimeZone("America/New_York").value();
  auto gap = NextCronMatch(ParseCron("30 2 * * *").value(), tz, At("2026-03-07T12:00:00Z"));
  ASSERT_TRUE(gap.has_value());
  EXPECT_EQ(gap->kind, LocalTimeKind::kGap);
  EXPECT_EQ(date::format("%F %R", gap->local), "2026-03-08 02:30");
  auto twice = NextCronMatch(ParseCron("30 1 * * *").value(), tz, At("2026-10-31T12:00:00Z"));
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(twice->kind, LocalTimeKind::kRepeated);
  auto plain = NextCronMatch(ParseCron("30 1 * * *").value(), tz, At("2026-11-02T12:00:00Z"));
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->kind, LocalTimeKind::kUnique);
}

TEST(CronPreview, SpringForwardDayInNewYork) {
  auto fires = PreviewFires("30 2 * * *", "America/New_York", At("2026-03-06T12:00:00Z"), 3);
  ASSERT_TRUE(fires.ok()) << fires.error().message;
  ASSERT_EQ(fires->size(), 3u);
  const FirePreview& before = (*fires)[0];
  EXPECT_EQ(FormatTime(before.utc), "2026-03-07T07:30:00.000Z");
  EXPECT_EQ(before.local, "2026-03-07 02:30:00 EST");
  EXPECT_EQ(before.utc_offset, "-05:00");
  EXPECT_FALSE(before.dst_shift);
  EXPECT_EQ(before.note, "");
  const FirePreview& gap = (*fires)[1];
  EXPECT_EQ(FormatTime(gap.utc), "2026-03-08T07:00:00.000Z");
  EXPECT_EQ(gap.local, "2026-03-08 03:00:00 EDT");
  EXPECT_EQ(gap.utc_offset, "-04:00");
  EXPECT_TRUE(gap.dst_shift);
  EXPECT_EQ(gap.note, "02:30 does not exist (DST gap): fires at 03:00");
  const FirePreview& after = (*fires)[2];
  EXPECT_EQ(after.local, "2026-03-09 02:30:00 EDT");
  EXPECT_FALSE(after.dst_shift);
  EXPECT_EQ(after.note, "");
}

TEST(CronPreview, FallBackDayInNewYork) {
  auto fires = PreviewFires("30 1 * * *", "America/New_York", At("2026-10-31T12:00:00Z"), 2);
  ASSERT_TRUE(fires.ok());
  ASSERT_EQ(fires->size(), 2u);
  EXPECT_EQ((*fires)[0].local, "2026-11-01 01:30:00 EDT");
  EXPECT_FALSE((*fires)[0].dst_shift);
  EXPECT_NE((*fires)[0].note.find("01:30 occurs twice"), std::string::npos) << (*fires)[0].note;
  EXPECT_EQ((*fires)[1].local, "2026-11-02 01:30:00 EST");
  EXPECT_EQ((*fires)[1].utc_offset, "-05:00");
  EXPECT_TRUE((*fires)[1].dst_shift);
}

TEST(CronPreview, LordHoweOffsetsAndOtherSchedules) {
  auto fires = PreviewFires("0 2 * * *", "Australia/Lord_Howe", At("2026-10-02T12:00:00Z"), 2);
  ASSERT_TRUE(fires.ok());
  EXPECT_EQ((*fires)[0].utc_offset, "+10:30");
  EXPECT_EQ((*fires)[1].utc_offset, "+11:00");
  EXPECT_EQ((*fires)[1].note, "02:00 does not exist (DST gap): fires at 02:30");

  auto every = PreviewFires("@every 90m", "", At("2026-03-18T10:00:00Z"), 3);
  ASSERT_TRUE(every.ok());
  ASSERT_EQ(every->size(), 3u);
  EXPECT_EQ((*every)[2].local, "2026-03-18 14:30:00 UTC");
  auto once =
      PreviewFires("2026-04-01T09:00:00+02:00", "Europe/Berlin", At("2026-03-18T10:00:00Z"), 5);
  ASSERT_TRUE(once.ok());
  ASSERT_EQ(once->size(), 1u);
  EXPECT_EQ((*once)[0].local, "2026-04-01 09:00:00 CEST");
  EXPECT_TRUE((*once)[0].dst_shift);
  auto now = PreviewFires("now", "UTC", At("2026-03-18T10:00:00Z"), 5);
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->size(), 1u);
  EXPECT_EQ(FormatTime((*now)[0].utc), "2026-03-18T10:00:00.000Z");
}

// A preview from near the end of year 9999 stops there instead of writing times RFC 3339
// cannot hold (the cron fuzzer found a throw in the time formatting past it).
TEST(CronPreview, StopsAtTheLastWritableYear) {
  auto fires = PreviewFires("@every 3650d", "Europe/Berlin", At("9990-01-01T00:00:00Z"), 5);
  ASSERT_TRUE(fires.ok()) << fires.error().message;
  EXPECT_LE(fires->size(), 1u);
  for (const auto& fire : *fires) EXPECT_LT(fire.utc, At("9999-12-31T23:59:59Z"));
}

TEST(CronPreview, RejectsBadInput) {
  TimePoint from = At("2026-03-18T10:00:00Z");
  auto bad_zone = PreviewFires("@daily", "Mars/Olympus", from, 3);
  ASSERT_FALSE(bad_zone.ok());
  EXPECT_EQ(bad_zone.error().field, "timezone");
  auto bad_expr = PreviewFires("0 0 32 * *", "UTC", from, 3);
  ASSERT_FALSE(bad_expr.ok());
  EXPECT_EQ(bad_expr.error().field, "schedule");
  for (int count : {0, -1, kMaxPreviewCount + 1}) {
    auto bad_count = PreviewFires("@daily", "UTC", from, count);
    ASSERT_FALSE(bad_count.ok());
    EXPECT_EQ(bad_count.error().field, "count");
  }
}

}  // namespace
}  // namespace flare

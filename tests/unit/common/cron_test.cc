// Parsing and UTC next-fire tables for the cron dialect of SPEC §4.

#include "common/cron.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "tests/testutil/test_time.h"

namespace flare {
namespace {

using testing::At;
using testing::UtcZone;

std::set<int> Bits(uint64_t mask) {
  std::set<int> out;
  for (int i = 0; i < 64; ++i) {
    if (mask >> i & 1) out.insert(i);
  }
  return out;
}

std::set<int> Range(int first, int last) {
  std::set<int> out;
  for (int i = first; i <= last; ++i) out.insert(i);
  return out;
}

CronExpr MustParse(const std::string& text) {
  auto expr = ParseCron(text);
  EXPECT_TRUE(expr.ok()) << text << ": " << (expr.ok() ? "" : expr.error().message);
  return expr.ok() ? *expr : CronExpr{};
}

struct FieldCase {
  const char* text;
  int field;  // 0 minute .. 4 day-of-week
  std::set<int> expected;
};

uint64_t FieldMask(const CronExpr& e, int field) {
  switch (field) {
    case 0:
      return e.minutes;
    case 1:
      return e.hours;
    case 2:
      return e.days;
    case 3:
      return e.months;
    default:
      return e.weekdays;
  }
}

TEST(CronParse, FieldForms) {
  const std::vector<FieldCase> cases = {
      {"* * * * *", 0, Range(0, 59)},
      {"* * * * *", 1, Range(0, 23)},
      {"* * * * *", 2, Range(1, 31)},
      {"* * * * *", 3, Range(1, 12)},
      {"* * * * *", 4, Range(0, 6)},
      {"5 * * * *", 0, {5}},
      {"1-3 * * * *", 0, {1, 2, 3}},
      {"*/15 * * * *", 0, {0, 15, 30, 45}},
      {"10-30/10 * * * *", 0, {10, 20, 30}},
      {"50/5 * * * *", 0, {50, 55}},
      {"1,5,10-12 * * * *", 0, {1, 5, 10, 11, 12}},
      {"*/20,7 * * * *", 0, {0, 7, 20, 40}},
      {"0 9-17/4 * * *", 1, {9, 13, 17}},
      {"0 0 1,15,31 * *", 2, {1, 15, 31}},
      {"0 0 */10 * *", 2, {1, 11, 21, 31}},
      {"0 0 * JAN,mar,Dec *", 3, {1, 3, 12}},
      {"0 0 * jan-MAR *", 3, {1, 2, 3}},
      {"0 0 * */3 *", 3, {1, 4, 7, 10}},
      {"0 0 * 2/5 *", 3, {2, 7, 12}},
      {"0 0 * * MON-FRI", 4, {1, 2, 3, 4, 5}},
      {"0 0 * * 0", 4, {0}},
      {"0 0 * * 7", 4, {0}},
      {"0 0 * * sun", 4, {0}},
      {"0 0 * * 5-7", 4, {0, 5, 6}},
      {"0 0 * * FRI-SUN", 4, {0, 5, 6}},
      {"0 0 * * 1/2", 4, {0, 1, 3, 5}},  // 1-7/2: Mon, Wed, Fri, Sun
      {"0 0 * * Tue,thu", 4, {2, 4}},
  };
  for (const FieldCase& c : cases) {
    CronExpr e = MustParse(c.text);
    EXPECT_EQ(Bits(FieldMask(e, c.field)), c.expected) << c.text << " field " << c.field + 1;
  }
}

TEST(CronParse, DayFieldsAreRestrictedUnlessTheyStartWithStar) {
  struct Case {
    const char* text;
    bool dom;
    bool dow;
  };
  for (const Case& c : std::vector<Case>{{"0 0 * * *", false, false},
                                         {"0 0 1 * *", true, false},
                                         {"0 0 * * 1", false, true},
                                         {"0 0 1 * 1", true, true},
                                         {"0 0 */2 * 1", false, true},
                                         {"0 0 1-31 * 0-7", true, true}}) {
    CronExpr e = MustParse(c.text);
    EXPECT_EQ(e.dom_restricted, c.dom) << c.text;
    EXPECT_EQ(e.dow_restricted, c.dow) << c.text;
  }
}

TEST(CronParse, MacrosExpandAndKeepTheirText) {
  struct Case {
    const char* macro;
    const char* expansion;
  };
  for (const Case& c : std::vector<Case>{{"@yearly", "0 0 1 1 *"},
                                         {"@annually", "0 0 1 1 *"},
                                         {"@monthly", "0 0 1 * *"},
                                         {"@weekly", "0 0 * * 0"},
                                         {"@daily", "0 0 * * *"},
                                         {"@midnight", "0 0 * * *"},
                                         {"@hourly", "0 * * * *"},
                                         {"@DAILY", "0 0 * * *"},
                                         {"@Hourly", "0 * * * *"}}) {
    CronExpr macro = MustParse(c.macro);
    CronExpr plain = MustParse(c.expansion);
    EXPECT_EQ(macro.text, c.macro);
    plain.text = macro.text;
    EXPECT_EQ(macro, plain) << c.macro;
  }
}

TEST(CronParse, ToleratesSurroundingAndRepeatedWhitespace) {
  CronExpr e = MustParse("  0   12\t* *  1 ");
  EXPECT_EQ(e.text, "0   12\t* *  1");
  EXPECT_EQ(Bits(e.hours), std::set<int>{12});
}

TEST(CronParse, AcceptsDatesThatExistOnlySometimes) {
  MustParse("0 0 29 2 *");       // leap years
  MustParse("0 0 30,31 2,3 *");  // March has them
  MustParse("0 0 31 2 1");       // either-day rule: any Monday in February
}

struct ErrorCase {
  const char* text;
  const char* message;  // a substring the message must contain
};

TEST(CronParse, ErrorsNameTheFieldAndTheProblem) {
  const std::vector<ErrorCase> cases = {
      {"0 0 32 * *", "cron field 3 (day-of-month): 32 is out of range 1-31"},
      {"0 0 * * FRX", "cron field 5 (day-of-week): unknown name \"FRX\""},
      {"0 0 0 * * *",
       "cron expression needs 5 fields (minute hour day-of-month month day-of-week), got 6"},
      {"* * * *", "needs 5 fields (minute hour day-of-month month day-of-week), got 4"},
      {"", "got 0"},
      {"*/0 * * * *", "cron field 1 (minute): step 0 is out of range 1-60"},
      {"* * * * 1/0", "cron field 5 (day-of-week): step 0"},
      {"*/61 * * * *", "cron field 1 (minute): step 61 is out of range 1-60"},
      {"0 5-1 * * *", "cron field 2 (hour): range 5-1 is reversed"},
      {"1,,2 * * * *", "cron field 1 (minute): empty item in list \"1,,2\""},
      {"1, * * * *", "cron field 1 (minute): empty item"},
      {"* * ,1 * *", "cron field 3 (day-of-month): empty item"},
      {"5# * * * *", "cron field 1 (minute): unexpected character '#' in \"5#\""},
      {"-5 * * * *", "cron field 1 (minute): unexpected character '-'"},
      {"1-2-3 * * * *", "cron field 1 (minute): unexpected character '-'"},
      {"*/5/2 * * * *", "cron field 1 (minute): unexpected character '/'"},
      {"5x * * * *", "cron field 1 (minute): \"5x\" is not a number"},
      {"MON * * * *", "cron field 1 (minute): \"MON\" is not a number"},
      {"*/ * * * *", "cron field 1 (minute): missing step"},
      {"5- * * * *", "cron field 1 (minute): missing value"},
      {"60 * * * *", "cron field 1 (minute): 60 is out of range 0-59"},
      {"* 24 * * *", "cron field 2 (hour): 24 is out of range 0-23"},
      {"* * 0 * *", "cron field 3 (day-of-month): 0 is out of range 1-31"},
      {"* * * 13 *", "cron field 4 (month): 13 is out of range 1-12"},
      {"* * * 0 *", "cron field 4 (month): 0 is out of range 1-12"},
      {"* * * * 8", "cron field 5 (day-of-week): 8 is out of range 0-7"},
      {"* * * FOO *", "cron field 4 (month): unknown name \"FOO\""},
      {"* * * * MONDAY", "cron field 5 (day-of-week): unknown name \"MONDAY\""},
      {"99999999999 * * * *", "cron field 1 (minute): 99999999999 is out of range 0-59"},
      {"0 0 30 2 *", "never fires"},
      {"0 0 31 4,6,9,11 *", "never fires"},
      {"0 0 30,31 FEB *", "never fires"},
      {"0 0 31 2 */2", "never fires"},  // day-of-week starts with '*': both must match
      {"@fortnightly", "unknown cron macro \"@fortnightly\""},
      {"@every 5m", "unknown cron macro"},
  };
  for (const ErrorCase& c : cases) {
    auto result = ParseCron(c.text);
    ASSERT_FALSE(result.ok()) << c.text;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidRequest) << c.text;
    EXPECT_EQ(result.error().field, "schedule") << c.text;
    EXPECT_NE(result.error().message.find(c.message), std::string::npos)
        << c.text << " -> " << result.error().message;
  }
}

TEST(CronParse, MessagesEchoOnlyPrintableAscii) {
  // Messages go out as JSON (valid UTF-8 required), so raw bytes are escaped.
  for (const char* bad :
       {"5\xC3\xA9 * * * *", "0 0 * * FR\xFF", "\xC3\xA9 * * * *", "0 0 * * MON\t\x01"}) {
    auto result = ParseCron(bad);
    ASSERT_FALSE(result.ok()) << bad;
    for (char c : result.error().message) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << result.error().message;
    }
  }
  auto result = ParseCron("5\xC3\xA9 * * * *");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("\\xC3"), std::string::npos) << result.error().message;
}

TEST(CronParse, NeverFiringMessageSaysWhichDaysAndMonths) {
  auto result = ParseCron("0 0 31 4,6,9,11 *");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message,
            "cron expression \"0 0 31 4,6,9,11 *\" never fires: day-of-month 31 does not "
            "occur in APR,JUN,SEP,NOV");
}

TEST(CronParse, RejectsUnsatisfiableExpressionsQuickly) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(ParseCron("0 0 30 2 *").ok());
    ASSERT_FALSE(ParseCron("* * 31 4,6,9,11 *").ok());
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::milliseconds{200});  // ~10 µs each even under ASan
}

struct NextCase {
  const char* expr;
  const char* after;
  std::vector<const char*> fires;  // the next fires, in order
};

TEST(CronNext, UtcTable) {
  const std::vector<NextCase> cases = {
      {"*/15 * * * *", "2026-03-18T10:07:30Z", {"2026-03-18T10:15:00Z", "2026-03-18T10:30:00Z"}},
      {"*/15 * * * *", "2026-03-18T10:15:00Z", {"2026-03-18T10:30:00Z"}},  // strictly after
      {"*/15 * * * *", "2026-03-18T10:14:59.999Z", {"2026-03-18T10:15:00Z"}},
      {"*/15 * * * *", "2026-03-18T10:15:00.001Z", {"2026-03-18T10:30:00Z"}},
      {"0 0 1 1 *", "2026-03-18T00:00:00Z", {"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"}},
      {"0 0 29 2 *", "2026-03-01T00:00:00Z", {"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
      {"0 0 29 2 *", "2096-03-01T00:00:00Z", {"2104-02-29T00:00:00Z"}},  // 2100 is no leap year
      // Either-day rule: the 1st or any Monday (2026-03-01 is a Sunday).
      {"0 0 1 * MON",
       "2026-03-28T00:00:00Z",
       {"2026-03-30T00:00:00Z", "2026-04-01T00:00:00Z", "2026-04-06T00:00:00Z"}},
      // Day-of-month starts with '*': odd days that are also Mondays (not the 2nd or 16th).
      {"0 0 */2 * MON",
       "2026-03-01T00:00:00Z",
       {"2026-03-09T00:00:00Z", "2026-03-23T00:00:00Z", "2026-04-13T00:00:00Z"}},
      {"0 0 * * 7", "2026-03-02T00:00:00Z", {"2026-03-08T00:00:00Z", "2026-03-15T00:00:00Z"}},
      {"0 12 * * 5-7",
       "2026-03-02T00:00:00Z",
       {"2026-03-06T12:00:00Z", "2026-03-07T12:00:00Z", "2026-03-08T12:00:00Z",
        "2026-03-13T12:00:00Z"}},
      {"30 9 * JUN MON-FRI",
       "2026-03-18T00:00:00Z",
       {"2026-06-01T09:30:00Z", "2026-06-02T09:30:00Z"}},
      {"@hourly", "2026-03-18T10:00:00Z", {"2026-03-18T11:00:00Z"}},
      {"@weekly", "2026-03-18T10:00:00Z", {"2026-03-22T00:00:00Z"}},
      {"@monthly", "2026-03-18T10:00:00Z", {"2026-04-01T00:00:00Z"}},
      {"59 23 31 12 *", "2026-12-31T23:59:00Z", {"2027-12-31T23:59:00Z"}},
      {"0 0 31 * *", "2026-01-31T00:00:00Z", {"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"}},
  };
  for (const NextCase& c : cases) {
    CronExpr expr = MustParse(c.expr);
    TimePoint after = At(c.after);
    for (const char* expected : c.fires) {
      auto next = NextCronFire(expr, UtcZone(), after);
      ASSERT_TRUE(next.has_value()) << c.expr;
      EXPECT_EQ(FormatTime(*next), FormatTime(At(expected)))
          << c.expr << " after " << FormatTime(after);
      after = *next;
    }
  }
}

TEST(CronNext, RareDatesAreFoundWithoutMinuteStepping) {
  CronExpr leap = MustParse("0 0 29 2 *");
  CronExpr rare = MustParse("0 0 29 2 */7");  // 29 February that is a Sunday
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(NextCronFire(leap, UtcZone(), At("2029-03-01T00:00:00Z")).has_value());
  }
  auto next = NextCronFire(rare, UtcZone(), At("2026-01-01T00:00:00Z"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(FormatTime(*next), "2032-02-29T00:00:00.000Z");
  EXPECT_LT(elapsed, std::chrono::milliseconds{200});
}

TEST(CronNext, HandBuiltExpressionThatNeverFiresGivesNullopt) {
  CronExpr never = MustParse("0 0 1 * *");
  never.days = 1u << 30;
  never.months = 1u << 2;  // 30 February
  EXPECT_FALSE(NextCronFire(never, UtcZone(), At("2026-01-01T00:00:00Z")).has_value());
}

}  // namespace
}  // namespace flare

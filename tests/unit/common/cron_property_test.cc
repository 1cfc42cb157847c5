// Property tests: random valid cron expressions, random instants (many right
// next to DST transitions) and zones with 30- and 45-minute offsets. The
// reference is a brute-force walk over UTC minutes that applies the SPEC §4
// rules directly with date/tz, independent of the search in cron.cc:
//
//   a UTC minute u must fire iff
//     (a) u's wall-clock time matches and u is its first occurrence, or
//     (b) u ends a spring-forward gap that contains a matching wall-clock minute.
//
// For each case: next(t) > t, next(t) must fire, and no UTC minute in
// (t, next(t)) must fire (checked over a bounded window).

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "common/cron.h"

namespace flare {
namespace {

using date::local_seconds;
using date::sys_seconds;
using std::chrono::floor;
using std::chrono::minutes;
using std::chrono::seconds;

// Zones whose offsets are whole minutes after 1990, with 1 h, 30 min and
// 45 min DST shifts, both hemispheres, and a zone without DST.
constexpr std::array<const char*, 10> kZones = {"UTC",
                                                "America/New_York",
                                                "Europe/Berlin",
                                                "Australia/Lord_Howe",
                                                "Pacific/Chatham",
                                                "America/St_Johns",
                                                "Asia/Kathmandu",
                                                "America/Sao_Paulo",
                                                "Asia/Tehran",
                                                "Europe/London"};

constexpr std::array<const char*, 12> kMonths = {"jan", "FEB", "Mar", "APR", "may", "JUN",
                                                 "jul", "AUG", "sep", "OCT", "nov", "DEC"};
constexpr std::array<const char*, 7> kDays = {"SUN", "mon", "Tue", "WED", "thu", "FRI", "sat"};

struct Spec {
  int min;
  int max;
  const char* const* names;  // names[v - names_base]
  int names_base;
  int names_count;
};
constexpr std::array<Spec, 5> kSpecs = {{{0, 59, nullptr, 0, 0},
                                         {0, 23, nullptr, 0, 0},
                                         {1, 31, nullptr, 0, 0},
                                         {1, 12, kMonths.data(), 1, 12},
                                         {0, 7, kDays.data(), 0, 7}}};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Uniform(1, 100) <= percent; }

  std::string Cron() {
    std::string text;
    for (int i = 0; i < 5; ++i) text += (i ? " " : "") + Field(kSpecs[i]);
    return text;
  }

  // Minutes and hours around the small hours, where transitions happen.
  std::string NightCron() {
    static constexpr std::array<const char*, 8> kMinutes = {"*",   "*/15", "30",   "0",
                                                            "*/7", "45",   "0,30", "10-40/5"};
    static constexpr std::array<const char*, 8> kHours = {"*", "0-4", "1,2,3", "2",
                                                          "1", "*/2", "3",     "0-3/3"};
    return std::string(Pick(kMinutes)) + " " + Pick(kHours) + " " +
           (Chance(80) ? "*" : Field(kSpecs[2])) + " * " + (Chance(80) ? "*" : Field(kSpecs[4]));
  }

 private:
  template <size_t N>
  const char* Pick(const std::array<const char*, N>& options) {
    return options[Uniform(0, N - 1)];
  }

  std::string Value(const Spec& s, int v) {
    int index = v - s.names_base;
    if (s.names && index >= 0 && index < s.names_count && Chance(30)) return s.names[index];
    return std::to_string(v);
  }

  std::string Item(const Spec& s) {
    int a = Uniform(s.min, s.max);
    int b = Uniform(a, s.max);
    int step = Uniform(1, std::max(1, (s.max - s.min + 1) / 3));
    switch (Uniform(0, 4)) {
      case 0:
        return Value(s, a);
      case 1:
        return Value(s, a) + "-" + Value(s, b);
      case 2:
        return "*/" + std::to_string(step);
      case 3:
        return Value(s, a) + "-" + Value(s, b) + "/" + std::to_string(step);
      default:
        return Value(s, a) + "/" + std::to_string(step);
    }
  }

  std::string Field(const Spec& s) {
    int form = Uniform(1, 100);
    if (form <= 35) return "*";
    std::string field = Item(s);
    if (form > 70) {
      for (int n = Uniform(1, 2); n > 0; --n) field += "," + Item(s);
    }
    return field;
  }

  std::mt19937_64 rng_;
};

// The wall-clock minute `local` matches the fields, with the either-day rule.
bool Matches(const CronExpr& e, local_seconds local) {
  auto day = floor<date::days>(local);
  date::year_month_day ymd{day};
  date::hh_mm_ss<seconds> time{local - day};
  if (time.seconds().count() != 0) return false;
  unsigned weekday = date::weekday{day}.c_encoding();
  bool dom = e.days >> static_cast<unsigned>(ymd.day()) & 1;
  bool dow = e.weekdays >> weekday & 1;
  bool day_ok = (e.dom_restricted && e.dow_restricted) ? (dom || dow) : (dom && dow);
  return day_ok && (e.months >> static_cast<unsigned>(ymd.month()) & 1) &&
         (e.hours >> time.hours().count() & 1) && (e.minutes >> time.minutes().count() & 1);
}

// The SPEC §4 rule for one UTC minute, straight from the zone data.
bool ShouldFire(const CronExpr& e, const date::time_zone* tz, sys_seconds u) {
  date::sys_info info = tz->get_info(u);
  local_seconds local{u.time_since_epoch() + info.offset};
  if (Matches(e, local)) {
    date::local_info li = tz->get_info(local);
    bool repeat = li.result == date::local_info::ambiguous &&
                  local.time_since_epoch() - li.first.offset != u.time_since_epoch();
    if (!repeat) return true;
  }
  if (info.begin == u) {
    seconds before = tz->get_info(u - seconds{1}).offset;
    for (auto l = local_seconds{u.time_since_epoch() + before}; l < local; l += minutes{1}) {
      if (Matches(e, l)) return true;  // a matching minute inside the gap
    }
  }
  return false;
}

enum class Near { kAnywhere, kTransition };

// A random instant: uniform over 1995-2036, or (always with Near::kTransition,
// else half the time) within 3 hours of a transition.
TimePoint RandomInstant(Generator& g, const date::time_zone* tz, Near near = Near::kAnywhere) {
  auto lo = date::sys_days{date::year{1995} / 1 / 1};
  auto hi = date::sys_days{date::year{2036} / 6 / 1};
  int64_t span = (hi - lo).count() * 86400LL;
  int64_t offset = static_cast<int64_t>(g.Uniform(0, 1 << 30)) * (span >> 30);
  sys_seconds t = sys_seconds{lo} + seconds{offset};
  if (near == Near::kTransition || g.Chance(50)) {
    sys_seconds transition = tz->get_info(t).end;
    if (transition < sys_seconds{hi}) t = transition + minutes{g.Uniform(-180, 180)};
  }
  return TimePoint{t} + std::chrono::milliseconds{g.Chance(50) ? 0 : g.Uniform(0, 59'999)};
}

CronExpr RandomValidCron(Generator& g, bool night = false) {
  while (true) {
    auto expr = ParseCron(night ? g.NightCron() : g.Cron());
    if (expr.ok()) return *expr;
  }
}

// Checks next(t) against the brute-force reference over a bounded window.
void CheckNext(const CronExpr& expr, const date::time_zone* tz, TimePoint t) {
  constexpr auto kWindow = std::chrono::hours{48};
  SCOPED_TRACE("'" + expr.text + "' in " + tz->name() + " after " + FormatTime(t));
  auto next = NextCronFire(expr, tz, t);
  ASSERT_TRUE(next.has_value());
  ASSERT_GT(*next, t);
  ASSERT_EQ(*next, floor<minutes>(*next)) << FormatTime(*next);
  ASSERT_TRUE(ShouldFire(expr, tz, floor<seconds>(*next))) << "fired at " << FormatTime(*next);
  sys_seconds end = floor<seconds>(std::min(*next, t + kWindow));
  for (sys_seconds u = floor<minutes>(t) + minutes{1}; u < end; u += minutes{1}) {
    ASSERT_FALSE(ShouldFire(expr, tz, u))
        << "missed " << FormatTime(TimePoint{u}) << ", returned " << FormatTime(*next);
  }
}

TEST(CronProperty, NextIsTheFirstFireAfterT) {
  Generator g(20260318);
  for (int i = 0; i < 600; ++i) {
    const date::time_zone* tz = LookupTimeZone(kZones[g.Uniform(0, kZones.size() - 1)]).value();
    CronExpr expr = RandomValidCron(g);
    CheckNext(expr, tz, RandomInstant(g, tz));
    if (HasFatalFailure()) return;
  }
}

TEST(CronProperty, NextIsTheFirstFireAfterTNearTransitions) {
  Generator g(314159);
  int moved = 0;
  for (int i = 0; i < 1500; ++i) {
    const date::time_zone* tz = LookupTimeZone(kZones[g.Uniform(1, kZones.size() - 1)]).value();
    CronExpr expr = RandomValidCron(g, /*night=*/true);
    TimePoint t = RandomInstant(g, tz, Near::kTransition);
    CheckNext(expr, tz, t);
    if (HasFatalFailure()) return;
    if (NextCronMatch(expr, tz, t)->kind != LocalTimeKind::kUnique) ++moved;
  }
  // The cases must really exercise the gap and repeat rules.
  EXPECT_GT(moved, 100);
}

TEST(CronProperty, ConsecutiveFiresAcrossTransitionsAreOrderedAndValid) {
  Generator g(7);
  for (int i = 0; i < 200; ++i) {
    const date::time_zone* tz = LookupTimeZone(kZones[g.Uniform(1, kZones.size() - 1)]).value();
    CronExpr expr = RandomValidCron(g);
    TimePoint t = RandomInstant(g, tz);
    SCOPED_TRACE("'" + expr.text + "' in " + tz->name() + " from " + FormatTime(t));
    for (int k = 0; k < 30; ++k) {
      auto next = NextCronFire(expr, tz, t);
      ASSERT_TRUE(next.has_value());
      ASSERT_GT(*next, t);
      ASSERT_TRUE(ShouldFire(expr, tz, floor<seconds>(*next))) << FormatTime(*next);
      t = *next;
    }
  }
}

TEST(CronProperty, NeverFiresIsDecidedExactly) {
  // With day-of-week '*', an expression fires iff some allowed month has some
  // allowed day in a leap year (2024 has every (month, day) there is).
  Generator g(99);
  for (int i = 0; i < 2000; ++i) {
    std::string days = std::to_string(g.Uniform(27, 31));
    if (g.Chance(40)) days += "," + std::to_string(g.Uniform(28, 31));
    std::string months = std::to_string(g.Uniform(1, 12));
    if (g.Chance(40)) months += "," + std::to_string(g.Uniform(1, 12));
    std::string text = "0 0 " + days + " " + months + " *";
    CronExpr probe = ParseCron("0 0 * " + months + " *").value();
    CronExpr day_probe = ParseCron("0 0 " + days + " * *").value();
    bool exists = false;
    for (unsigned m = 1; m <= 12; ++m) {
      for (unsigned d = 1; d <= 31; ++d) {
        bool allowed = (probe.months >> m & 1) && (day_probe.days >> d & 1);
        if (allowed && date::year_month_day{date::year{2024} / m / d}.ok()) exists = true;
      }
    }
    auto parsed = ParseCron(text);
    EXPECT_EQ(parsed.ok(), exists) << text;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.error().message.find("never fires"), std::string::npos) << text;
    }
    // Restricting day-of-week as well turns on the either-day rule: always fires.
    EXPECT_TRUE(ParseCron(text.substr(0, text.size() - 1) + "MON").ok()) << text;
  }
}

TEST(CronProperty, NextCronFireIsFast) {
  Generator g(12345);
  constexpr int kCalls = 10'000;
  std::vector<CronExpr> exprs;
  std::vector<const date::time_zone*> zones;
  std::vector<TimePoint> instants;
  for (int i = 0; i < kCalls; ++i) {
    zones.push_back(LookupTimeZone(kZones[g.Uniform(0, kZones.size() - 1)]).value());
    exprs.push_back(RandomValidCron(g));
    instants.push_back(RandomInstant(g, zones.back()));
  }
  auto start = std::chrono::steady_clock::now();
  int64_t checksum = 0;
  for (int i = 0; i < kCalls; ++i) {
    checksum += ToMillis(NextCronFire(exprs[i], zones[i], instants[i]).value());
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  double ns_per_call = static_cast<double>(std::chrono::nanoseconds{elapsed}.count()) / kCalls;
  std::cout << "NextCronFire: " << ns_per_call << " ns/call over " << kCalls
            << " random expressions (checksum " << checksum % 1000 << ")\n";
  RecordProperty("ns_per_call", static_cast<int>(ns_per_call));
  EXPECT_LT(ns_per_call, 50'000);  // loose: sanitizer builds run this too
}

}  // namespace
}  // namespace flare

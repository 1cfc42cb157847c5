// Fuzzes every way a `schedule` string is read: ParseCron, ParseSchedule and the preview
// `flarectl cron next` prints, on a zone without DST and two with (one a 30-minute shift).
// Properties beyond "does not crash": an accepted expression re-parses from its own text
// to the same bits, a fire is strictly later than the instant it was asked after, and the
// preview stays within the count it was given.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/cron.h"
#include "common/cron_preview.h"
#include "common/schedule.h"
#include "common/time_zone.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using flare::TimePoint;

// The parser refuses long text early; longer inputs only slow the fuzzer down.
constexpr size_t kMaxInput = 512;

const date::time_zone* Zone(const char* name) { return flare::LookupTimeZone(name).value(); }

void CheckNextFires(const flare::CronExpr& expr) {
  static const date::time_zone* const kZones[] = {Zone("UTC"), Zone("America/New_York"),
                                                  Zone("Australia/Lord_Howe")};
  // Just before a spring-forward gap, just before a fall-back overlap, and a leap day.
  static const TimePoint kAfter[] = {*flare::ParseTime("2026-03-08T06:59:00Z"),
                                     *flare::ParseTime("2026-11-01T05:30:00Z"),
                                     *flare::ParseTime("2028-02-28T23:59:59.999Z")};
  for (const auto* zone : kZones) {
    for (TimePoint after : kAfter) {
      auto fire = flare::NextCronMatch(expr, zone, after);
      if (!fire) continue;  // allowed only for expressions that never fire
      FUZZ_CHECK(fire->utc > after, "a cron fire is strictly after the instant asked about");
      auto again = flare::NextCronFire(expr, zone, after);
      FUZZ_CHECK(again && *again == fire->utc, "NextCronFire agrees with NextCronMatch");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return -1;  // -1: do not add to the corpus
  std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto expr = flare::ParseCron(text)) {
    auto reparsed = flare::ParseCron(expr->text);
    FUZZ_CHECK(reparsed && *reparsed == *expr, "an accepted cron re-parses from its own text");
    CheckNextFires(*expr);
  }

  static const TimePoint kFrom = *flare::ParseTime("2026-03-29T00:30:00Z");
  if (auto schedule = flare::ParseSchedule(text)) {
    auto next = flare::NextFire(*schedule, Zone("Europe/Berlin"), kFrom, kFrom);
    if (next) FUZZ_CHECK(*next > kFrom, "a schedule's next fire is strictly after `after`");
  }
  constexpr int kCount = 5;
  if (auto preview = flare::PreviewFires(text, "Europe/Berlin", kFrom, kCount)) {
    FUZZ_CHECK(preview->size() <= static_cast<size_t>(kCount), "a preview keeps its count");
    for (size_t i = 1; i < preview->size(); ++i) {
      FUZZ_CHECK((*preview)[i - 1].utc < (*preview)[i].utc, "preview fires are increasing");
    }
  }
  return 0;
}

#include "common/cron_preview.h"

#include <optional>

#include "common/cron.h"
#include "common/schedule.h"
#include "common/time_zone.h"

namespace flare {
namespace {

using std::chrono::floor;
using std::chrono::seconds;

// The last instant RFC 3339 can write (9999-12-31T23:59:59.999Z): a preview stops before it.
constexpr TimePoint kLastWritable{std::chrono::milliseconds{253'402'300'799'999}};

std::string WallClock(date::local_seconds local) { return date::format("%H:%M", local); }

// Explains a fire that a DST rule placed; "" for an ordinary one.
std::string NoteFor(const CronFire& fire, const date::time_zone* tz) {
  auto actual = date::make_zoned(tz, floor<seconds>(fire.utc));
  switch (fire.kind) {
    case LocalTimeKind::kGap:
      return WallClock(fire.local) + " does not exist (DST gap): fires at " +
             WallClock(actual.get_local_time());
    case LocalTimeKind::kRepeated:
      return WallClock(fire.local) + " occurs twice (DST fall-back): fires once, at the first (" +
             date::format("%Z", actual) + ")";
    case LocalTimeKind::kUnique:
      break;
  }
  return "";
}

FirePreview Describe(TimePoint utc, const date::time_zone* tz, std::chrono::seconds& offset) {
  auto zoned = date::make_zoned(tz, floor<seconds>(utc));
  std::chrono::seconds now_offset = zoned.get_info().offset;
  FirePreview preview;
  preview.utc = utc;
  preview.local = date::format("%F %T %Z", zoned);
  preview.utc_offset = FormatUtcOffset(now_offset);
  preview.dst_shift = now_offset != offset;
  offset = now_offset;
  return preview;
}

struct Next {
  TimePoint utc;
  std::string note;
};

std::optional<Next> NextOf(const Schedule& schedule, const date::time_zone* tz, TimePoint after,
                           TimePoint from) {
  if (schedule.kind == ScheduleKind::kNow) {
    if (after >= from) return std::nullopt;
    return Next{from, "runs once, when the job is created"};
  }
  if (schedule.kind == ScheduleKind::kCron) {
    auto fire = NextCronMatch(schedule.cron, tz, after);
    if (!fire) return std::nullopt;
    return Next{fire->utc, NoteFor(*fire, tz)};
  }
  auto utc = NextFire(schedule, tz, after, from);
  if (!utc) return std::nullopt;
  return Next{*utc, ""};
}

}  // namespace

Result<std::vector<FirePreview>> PreviewFires(std::string_view schedule_text,
                                              std::string_view tz_name, TimePoint from, int count) {
  if (count < 1 || count > kMaxPreviewCount) {
    return InvalidRequest("count must be between 1 and " + std::to_string(kMaxPreviewCount),
                          "count");
  }
  auto schedule = ParseSchedule(schedule_text);
  if (!schedule.ok()) return schedule.error();
  auto tz = LookupTimeZone(tz_name);
  if (!tz.ok()) return tz.error();

  std::chrono::seconds offset = UtcOffsetAt(*tz, floor<seconds>(from));
  std::vector<FirePreview> fires;
  // "now" fires at `from` itself, so the first search starts just before it.
  TimePoint after = from - std::chrono::milliseconds{1};
  if (schedule->kind != ScheduleKind::kNow) after = from;
  while (static_cast<int>(fires.size()) < count) {
    auto next = NextOf(*schedule, *tz, after, from);
    if (!next || next->utc > kLastWritable) break;
    FirePreview preview = Describe(next->utc, *tz, offset);
    preview.note = std::move(next->note);
    fires.push_back(std::move(preview));
    after = next->utc;
  }
  return fires;
}

}  // namespace flare

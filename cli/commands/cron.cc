// `flarectl cron next EXPR [--tz Z] [--count N] [--from T]`: offline, with the same code
// flared schedules with (common/cron_preview). Table output shows each fire in UTC and in
// the zone, and marks fires whose UTC offset differs from the previous one (DST shifts);
// `-o json` is an array of RFC 3339 UTC strings, `-o jsonl`/`-o id` one per line.

#include "cli/cli_error.h"
#include "cli/commands/command.h"
#include "common/cron_preview.h"

namespace flare::cli {
namespace {

struct NextArgs {
  std::string expression;
  std::string zone = "UTC";
  int count = 5;
  std::string from;
};

TimePoint StartTime(Context& ctx, const std::string& from) {
  if (from.empty()) return ctx.Now();
  auto parsed = ParseTime(from);
  if (!parsed) throw UsageError("--from: " + parsed.error().message);
  return *parsed;
}

nlohmann::json FireRow(const FirePreview& fire) {
  std::string marks = fire.dst_shift ? "DST shift" : "";
  if (!fire.note.empty()) marks += (marks.empty() ? "" : "; ") + fire.note;
  return {{"id", FormatTime(fire.utc)},
          {"utc", FormatTime(fire.utc)},
          {"local", fire.local},
          {"offset", fire.utc_offset},
          {"note", marks}};
}

int PrintFires(Context& ctx, const std::vector<FirePreview>& fires) {
  nlohmann::json utc = nlohmann::json::array();
  for (const auto& fire : fires) utc.push_back(FormatTime(fire.utc));
  Printer printer = ctx.printer();
  switch (printer.format()) {
    case OutputFormat::kJson:
      ctx.io().out() << utc.dump(2) << "\n";
      return kExitOk;
    case OutputFormat::kJsonl:
      for (const auto& t : utc) ctx.io().out() << t.dump() << "\n";
      return kExitOk;
    case OutputFormat::kId:
      for (const auto& t : utc) ctx.io().out() << t.get<std::string>() << "\n";
      return kExitOk;
    case OutputFormat::kTable:
      break;
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& fire : fires) rows.push_back(FireRow(fire));
  printer.List(rows, {{"UTC", "utc"}, {"LOCAL", "local"}, {"OFFSET", "offset"}, {"NOTE", "note"}});
  return kExitOk;
}

void AddNext(CLI::App& cron, Context& ctx) {
  auto* cmd = cron.add_subcommand("next", "List the next fire times of a schedule (offline)");
  auto args = std::make_shared<NextArgs>();
  cmd->add_option("expression", args->expression,
                  "Cron (5 fields or @daily…), @every 10m, or an RFC 3339 time")
      ->required();
  cmd->add_option("--tz", args->zone, "IANA time zone the schedule runs in")->capture_default_str();
  cmd->add_option("-n,--count", args->count, "How many fire times")
      ->check(CLI::Range(1, kMaxPreviewCount))
      ->capture_default_str();
  cmd->add_option("--from", args->from, "Start after this RFC 3339 time (default now)");
  OnRun(cmd, ctx, [&ctx, args] {
    auto fires =
        PreviewFires(args->expression, args->zone, StartTime(ctx, args->from), args->count);
    if (!fires) throw UsageError(fires.error().message, "see 'flarectl help cron' for the dialect");
    return PrintFires(ctx, *fires);
  });
}

}  // namespace

void AddCronCommands(CLI::App& noun, Context& ctx) { AddNext(noun, ctx); }

}  // namespace flare::cli

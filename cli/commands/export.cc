// `flarectl jobs export` / `runs export`: GET /flare/v1/{jobs,runs}/export streamed to
// stdout or a file (-O), never held in memory. Progress (rows, bytes) goes to stderr only
// when it is a terminal. A 429 (one export per minute per project) exits 7.

#include <fstream>

#include "cli/commands/command.h"
#include "common/time_format.h"

namespace flare::cli {
namespace {

constexpr std::chrono::seconds kExportRequest{24 * 3600};

struct ExportArgs {
  std::string from;
  std::string until;
  std::string format = "jsonl";
  std::string output_file;
};

// RFC 3339 as is; a duration ("7d", "12h") means that long before now.
std::string TimeArg(Context& ctx, const std::string& text, const char* flag) {
  if (auto ago = ParseDuration(text); ago.ok()) return FormatTime(ctx.Now() - *ago);
  if (ParseTime(text).ok()) return text;
  throw UsageError(std::string(flag) +
                   " wants an RFC 3339 time (2026-04-01T00:00:00Z) or a "
                   "duration before now (7d, 12h)");
}

int Export(Context& ctx, const std::string& noun, const ExportArgs& args) {
  HttpRequest request;
  request.path = "/flare/v1/" + noun + "/export";
  request.query = {
      {"from", TimeArg(ctx, args.from, "--from")},
      {"until", args.until.empty() ? FormatTime(ctx.Now()) : TimeArg(ctx, args.until, "--until")},
      {"format", args.format}};
  request.headers = {{"Accept", args.format == "csv" ? "text/csv" : "application/x-ndjson"}};
  request.read_timeout = kExportRequest;
  std::ofstream file;
  if (!args.output_file.empty()) {
    file.open(args.output_file, std::ios::binary | std::ios::trunc);
    if (!file) throw CliError(kExitError, "io", "cannot write " + args.output_file);
  }
  std::ostream& out = args.output_file.empty() ? ctx.io().out() : file;
  size_t bytes = 0;
  size_t lines = 0;
  auto last_report = std::chrono::steady_clock::now();
  auto response = ctx.api().Stream(request, [&](std::string_view chunk) {
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    bytes += chunk.size();
    lines += static_cast<size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    auto now = std::chrono::steady_clock::now();
    if (now - last_report > std::chrono::milliseconds(500)) {
      last_report = now;
      size_t rows = args.format == "csv" && lines > 0 ? lines - 1 : lines;
      ctx.Progress(std::to_string(rows) + " rows, " + std::to_string(bytes) + " bytes...");
    }
    return static_cast<bool>(out);
  });
  auto fail = [&](CliError error) -> CliError {
    if (!args.output_file.empty()) {
      file.close();
      std::remove(args.output_file.c_str());
    }
    return error;
  };
  if (!response.ok()) throw fail(ctx.api().Unreachable(response.error().message));
  if (response->status >= 300) throw fail(ErrorFromResponse(*response));
  out.flush();
  if (!out) throw fail(CliError(kExitError, "io", "writing the export failed"));
  size_t rows = args.format == "csv" && lines > 0 ? lines - 1 : lines;
  ctx.Progress("exported " + std::to_string(rows) + " rows, " + std::to_string(bytes) + " bytes");
  return kExitOk;
}

}  // namespace

void AddExportCommand(CLI::App& noun, Context& ctx, const std::string& noun_name) {
  auto* cmd = noun.add_subcommand(
      "export", "Export " + noun_name + " created in a window (at most 90 days) as JSONL or CSV");
  auto args = std::make_shared<ExportArgs>();
  cmd->add_option("--from", args->from, "Start (RFC 3339, or a duration before now: 7d)")
      ->required();
  cmd->add_option("--until", args->until, "End (RFC 3339 or a duration before now; default now)");
  cmd->add_option("--format", args->format, "jsonl (default) or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  cmd->add_option("-O,--output-file", args->output_file, "Write to this file instead of stdout");
  OnRun(cmd, ctx, [&ctx, args, noun_name] { return Export(ctx, noun_name, *args); });
}

}  // namespace flare::cli

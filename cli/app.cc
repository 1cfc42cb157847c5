#include "cli/app.h"

#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/cli_error.h"
#include "cli/commands/command.h"

namespace flare::cli {
namespace {

void AddGlobalFlags(CLI::App& app, GlobalOptions& flags) {
  const char* group = "Global flags";
  app.add_option("-p,--profile", flags.profile, "Config profile to use (FLARE_PROFILE)")
      ->group(group);
  app.add_option("--base-url", flags.base_url,
                 "API base URL (FLARE_BASE_URL; default http://127.0.0.1:5100)")
      ->group(group);
  app.add_option("--api-key", flags.api_key, "API key (FLARE_API_KEY)")->group(group);
  app.add_option("-o,--output", flags.output, "Output format: table, json, jsonl or id")
      ->check(CLI::IsMember({"table", "json", "jsonl", "id"}))
      ->group(group);
  app.add_flag("-q,--quiet", flags.quiet, "No chatter on stderr")->group(group);
  app.add_flag("--no-color", flags.no_color, "No colours (also NO_COLOR)")->group(group);
  app.add_flag("--debug", flags.debug, "Trace HTTP requests on stderr (the key is never shown)")
      ->group(group);
  app.add_option("--timeout", flags.timeout, "HTTP timeout, e.g. 30s (give it before the command)")
      ->group(group);
}

/// "jobs get" for the deepest selected subcommand, for hints.
std::string SelectedPath(const CLI::App& app) {
  std::string path = app.get_name();
  const CLI::App* current = &app;
  while (true) {
    auto selected = current->get_subcommands();
    if (selected.empty()) return path;
    current = selected.front();
    path += " " + current->get_name();
  }
}

int ReportParseError(CLI::App& app, const CLI::ParseError& error, Io& io) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    return app.exit(error, io.out(), io.err());  // --help and friends
  }
  PrintError(io, error.what(), "usage", "run '" + SelectedPath(app) + " --help'");
  return kExitUsage;
}

}  // namespace

void PrintError(Io& io, const std::string& message, const std::string& code,
                const std::string& hint) {
  io.ErrLine(io.Paint("error:", Style::kRed) + " " + message + " (" + code + ")");
  if (!hint.empty()) io.ErrLine(io.Paint("hint:", Style::kYellow) + " " + hint);
}

std::unique_ptr<CLI::App> BuildApp(Context& ctx) {
  auto app =
      std::make_unique<CLI::App>("flarectl: background jobs and cron scheduling", "flarectl");
  app->fallthrough();  // global flags work after the noun and verb too
  app->require_subcommand(1);
  app->get_formatter()->column_width(34);
  AddGlobalFlags(*app, ctx.flags());
  for (const auto& spec : CommandTable()) {
    CLI::App* noun = app->add_subcommand(spec.name, spec.summary);
    spec.add(*noun, ctx);
    if (spec.hidden) noun->group("");
    if (!noun->get_subcommands({}).empty() && !spec.verb_optional) noun->require_subcommand(1);
  }
  return app;
}

int RunCli(int argc, const char* const* argv, Io& io, const Env& env, const Clock& clock) {
  Context ctx(io, env, clock);
  auto app = BuildApp(ctx);
  try {
    app->parse(argc, argv);
    io.out().flush();
    return ctx.exit_code();
  } catch (const CLI::ParseError& error) {
    return ReportParseError(*app, error, io);
  } catch (const CliError& error) {
    io.out().flush();
    PrintError(io, error.what(), error.code(), error.hint());
    return error.exit_code();
  } catch (const nlohmann::json::exception& error) {
    PrintError(io, std::string("unexpected JSON: ") + error.what(), "bad_json", "");
    return kExitError;
  } catch (const std::exception& error) {
    PrintError(io, error.what(), "internal", "");
    return kExitError;
  }
}

}  // namespace flare::cli

#pragma once
// The vocabulary of the command table. A noun is one file in commands/ with one adder
// function; commands/registry.cc lists every noun in one table (like ninja's tool table).
// To add a noun: write commands/<noun>.cc with `void Add<Noun>Commands(CLI::App&, Context&)`,
// declare it below, and add one row to CommandTable().

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/context.h"
#include "cli/output.h"

namespace flare::cli {

inline constexpr const char* kJobsPath = "/flare/v1/jobs";

/// Adds a noun's verbs (or, for a verb-less noun, its options and action) to `noun`.
using NounAdder = void (*)(CLI::App& noun, Context& ctx);

struct NounSpec {
  const char* name;
  const char* summary;
  NounAdder add;
  bool hidden = false;
  bool verb_optional = false;  // the noun alone does something (`usage` is `usage show`)
};

/// Every top-level command, in help order.
const std::vector<NounSpec>& CommandTable();

/// Makes `run` the action of `command`; its return value becomes the exit code. Failures
/// are thrown as CliError and reported once by RunCli.
void OnRun(CLI::App* command, Context& ctx, std::function<int()> run);
/// Adds --limit, --cursor and --all to a list verb.
void AddPageFlags(CLI::App* command, PageOptions& page);
/// Lists `path` with `query` and `page`, shows progress for --all, prints with `columns`.
int PrintList(Context& ctx, const std::string& path, const Query& query, const PageOptions& page,
              const std::vector<Column>& columns);
/// "/flare/v1/jobs/" + the url-encoded id.
std::string ItemPath(const std::string& collection, const std::string& id);

/// The field/value view of a run (jobs trigger and runs get share it).
const std::vector<Column>& RunDetailColumns();

/// `<noun> export`: GET /flare/v1/<noun_name>/export to stdout or -O FILE.
void AddExportCommand(CLI::App& noun, Context& ctx, const std::string& noun_name);

void AddJobsCommands(CLI::App& noun, Context& ctx);
void AddRunsCommands(CLI::App& noun, Context& ctx);
void AddWebhooksCommands(CLI::App& noun, Context& ctx);
void AddWorkersCommands(CLI::App& noun, Context& ctx);
void AddUsageCommands(CLI::App& noun, Context& ctx);
void AddMetricsCommands(CLI::App& noun, Context& ctx);
void AddWorkerCommands(CLI::App& noun, Context& ctx);
void AddCronCommands(CLI::App& noun, Context& ctx);
void AddEventsCommands(CLI::App& noun, Context& ctx);
void AddConfigCommands(CLI::App& noun, Context& ctx);
void AddApiCommand(CLI::App& noun, Context& ctx);
void AddAuthCommands(CLI::App& noun, Context& ctx);
void AddAccountCommand(CLI::App& noun, Context& ctx);
void AddBillingCommands(CLI::App& noun, Context& ctx);
void AddApiKeysCommands(CLI::App& noun, Context& ctx);
void AddCompletionCommand(CLI::App& noun, Context& ctx);
void AddManCommand(CLI::App& noun, Context& ctx);
void AddVersionCommand(CLI::App& noun, Context& ctx);
void AddHelpCommand(CLI::App& noun, Context& ctx);

}  // namespace flare::cli

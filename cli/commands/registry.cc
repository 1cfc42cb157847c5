// The one table of top-level commands. The remaining SPEC §9 nouns (auth, account, billing,
// webhooks, events, usage, metrics, api-keys) arrive as one file + one row each.

#include "cli/commands/command.h"

namespace flare::cli {

const std::vector<NounSpec>& CommandTable() {
  static const std::vector<NounSpec> table = {
      {"jobs", "Create, inspect and control jobs", AddJobsCommands},
      {"runs", "Inspect, cancel and rerun executions of jobs", AddRunsCommands},
      {"workers", "Low-level worker protocol calls (register, poll, ack, ...)", AddWorkersCommands},
      {"events", "List or follow the project's event log", AddEventsCommands},
      {"worker", "Run a worker that executes a command per job", AddWorkerCommands},
      {"cron", "Check a schedule and list its next fire times (offline)", AddCronCommands},
      {"config", "Show and change profiles in the config file", AddConfigCommands},
      {"api", "Make a raw API request (like 'gh api')", AddApiCommand},
      {"completion", "Print a shell completion script", AddCompletionCommand},
      {"version", "Show the client and daemon versions", AddVersionCommand},
      {"help", "Help on a command or topic (environment, exit-codes, output)", AddHelpCommand},
      {"__man", "Print the flarectl(1) man page", AddManCommand, /*hidden=*/true},
  };
  return table;
}

}  // namespace flare::cli

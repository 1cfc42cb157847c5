// The one table of top-level commands. The remaining SPEC §9 nouns (auth, account, billing,
// webhooks, events, usage, metrics, api-keys) arrive as one file + one row each.

#include "cli/commands/command.h"

namespace flare::cli {

const std::vector<NounSpec>& CommandTable() {
  static const std::vector<NounSpec> table = {
      {"jobs", "Create, inspect and control jobs", AddJobsCommands},
      {"runs", "Inspect, cancel and rerun executions of jobs", AddRunsCommands},
      {"webhooks", "Endpoints that receive signed job events; verify a delivery",
       AddWebhooksCommands},
      {"workers", "Low-level worker protocol calls (register, poll, ack, ...)", AddWorkersCommands},
      {"events", "List or follow the project's event log", AddEventsCommands},
      {"worker", "Run a worker that executes a command per job", AddWorkerCommands},
      {"usage", "This month's usage against the plan, and per day", AddUsageCommands,
       /*hidden=*/false, /*verb_optional=*/true},
      {"metrics", "Run counts, latency percentiles, throughput and queue depths",
       AddMetricsCommands},
      {"cron", "Check a schedule and list its next fire times (offline)", AddCronCommands},
      {"auth", "Sign up, log in and out, show who you are", AddAuthCommands},
      {"account", "Show the project's account details", AddAccountCommand},
      {"billing", "Plan, usage and products (checkout and portal: hosted only)",
       AddBillingCommands},
      {"api-keys", "Create, list and revoke API keys", AddApiKeysCommands},
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

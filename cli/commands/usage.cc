// `flarectl usage …`: what the project used this month (runs, active jobs, webhook
// deliveries) against its plan, and per day. `usage` alone is `usage show`.

#include "cli/commands/command.h"

namespace flare::cli {
namespace {

const char* kUsage = "/flare/v1/usage";

const std::vector<Column> kUsageColumns = {
    {"period", "period"},
    {"plan", "plan"},
    {"runs_used", "runs_used"},
    {"runs_included", "runs_included"},
    {"runs_succeeded", "runs_succeeded"},
    {"runs_failed", "runs_failed"},
    {"active_jobs", "active_jobs"},
    {"active_jobs_limit", "active_jobs_limit"},
    {"webhook_deliveries", "webhook_deliveries"},
};

const std::vector<Column> kDailyColumns = {
    {"DATE", "date"},
    {"RUNS", "runs"},
    {"SUCCEEDED", "succeeded"},
    {"FAILED", "failed"},
    {"WEBHOOKS", "webhook_deliveries"},
};

int ShowUsage(Context& ctx, const std::string& period) {
  Query query;
  if (!period.empty()) query.emplace_back("period", period);
  ctx.printer().Object(ctx.api().Call("GET", kUsage, nullptr, query), kUsageColumns);
  return kExitOk;
}

void AddShow(CLI::App& usage, Context& ctx) {
  auto* cmd = usage.add_subcommand("show", "This month's usage against the plan (the default)");
  auto period = std::make_shared<std::string>();
  cmd->add_option("--period", *period, "Month as YYYY-MM (default: this month, UTC)");
  OnRun(cmd, ctx, [&ctx, period] { return ShowUsage(ctx, *period); });
  // `usage` without a verb shows too (its registry row makes the verb optional).
  auto noun_period = std::make_shared<std::string>();
  usage.add_option("--period", *noun_period, "Month as YYYY-MM (default: this month, UTC)");
  OnRun(&usage, ctx, [&ctx, &usage, noun_period] {
    return usage.get_subcommands().empty() ? ShowUsage(ctx, *noun_period) : ctx.exit_code();
  });
}

void AddDaily(CLI::App& usage, Context& ctx) {
  auto* cmd = usage.add_subcommand("daily", "Runs, outcomes and webhook deliveries per day");
  struct Args {
    int days = 0;
    std::string format;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--days", args->days, "Days back, today included (1-90, default 30)")
      ->check(CLI::Range(1, 90));
  cmd->add_option("--format", args->format, "csv: print the server's CSV as it is")
      ->check(CLI::IsMember({"csv", "json"}));
  OnRun(cmd, ctx, [&ctx, args] {
    Query query;
    if (args->days > 0) query.emplace_back("days", std::to_string(args->days));
    if (args->format == "csv") {
      HttpRequest request;
      request.path = std::string(kUsage) + "/daily";
      request.query = query;
      request.query.emplace_back("format", "csv");
      auto response = ctx.api().Send(request);
      if (!response.ok()) throw ctx.api().Unreachable(response.error().message);
      if (response->status / 100 != 2) throw ErrorFromResponse(*response);
      ctx.io().out() << response->body;
      return kExitOk;
    }
    ctx.printer().List(ctx.api().Call("GET", std::string(kUsage) + "/daily", nullptr, query),
                       kDailyColumns);
    return kExitOk;
  });
}

}  // namespace

void AddUsageCommands(CLI::App& usage, Context& ctx) {
  AddShow(usage, ctx);
  AddDaily(usage, ctx);
}

}  // namespace flare::cli

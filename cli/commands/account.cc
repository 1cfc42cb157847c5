// `flarectl account` and `flarectl billing status|products|checkout|portal` (SPEC §9). A
// local flared has one free, unlimited plan; checkout and portal exist only on the hosted
// service, so their 501 gets a hint that says where to go.

#include "cli/commands/command.h"

namespace flare::cli {
namespace {

const std::vector<Column> kBillingUsageColumns = {
    {"plan", "plan"},
    {"state", "state", CellKind::kState},
    {"period", "usage.period"},
    {"runs_used", "usage.runs_used"},
    {"runs_included", "usage.runs_included"},
    {"active_jobs", "usage.active_jobs"},
    {"active_jobs_limit", "usage.active_jobs_limit"},
};

void AddBillingGet(CLI::App& billing, Context& ctx, const char* verb, const char* help,
                   const char* path, bool list, std::vector<Column> columns) {
  auto* cmd = billing.add_subcommand(verb, help);
  OnRun(cmd, ctx, [&ctx, path, list, columns] {
    nlohmann::json answer = ctx.api().Call("GET", path);
    if (list)
      ctx.printer().List(answer, columns);
    else
      ctx.printer().Object(answer, columns);
    return kExitOk;
  });
}

void AddBillingHosted(CLI::App& billing, Context& ctx, const char* verb, const char* help,
                      const char* path) {
  auto* cmd = billing.add_subcommand(verb, help);
  auto plan = std::make_shared<std::string>();
  if (std::string(verb) == "checkout")
    cmd->add_option("--plan", *plan, "Plan id, e.g. pro-monthly");
  OnRun(cmd, ctx, [&ctx, path, plan] {
    nlohmann::json body = nlohmann::json::object();
    if (!plan->empty()) body["plan_id"] = *plan;
    try {
      nlohmann::json answer = ctx.api().Call("POST", path, body);
      ctx.printer().Object(answer, {{"url", "url"}});
    } catch (const CliError& e) {
      if (e.code() != "not_supported") throw;
      throw CliError(
          e.exit_code(), e.code(), e.what(),
          "billing lives on the hosted service: use --base-url https://api.zeridion.com");
    }
    return kExitOk;
  });
}

}  // namespace

void AddAccountCommand(CLI::App& account, Context& ctx) {
  OnRun(&account, ctx, [&ctx] {
    nlohmann::json answer = ctx.api().Call("GET", "/platform/v1/account");
    ctx.printer().Object(answer, {{"id", "id"},
                                  {"name", "name"},
                                  {"plan", "plan"},
                                  {"owner", "owner.email"},
                                  {"created_at", "created_at", CellKind::kTime},
                                  {"settings", "settings", CellKind::kJson}});
    return kExitOk;
  });
}

void AddBillingCommands(CLI::App& billing, Context& ctx) {
  AddBillingGet(billing, ctx, "status", "Plan, state and this month's usage",
                "/platform/v1/billing/status", false, kBillingUsageColumns);
  AddBillingGet(billing, ctx, "products", "The plans available here", "/platform/v1/products", true,
                {{"ID", "id"},
                 {"NAME", "name"},
                 {"STATE", "state", CellKind::kState},
                 {"CURRENT", "current"},
                 {"LIMITS", "limits", CellKind::kJson}});
  AddBillingHosted(billing, ctx, "checkout", "Start a plan checkout (hosted service only)",
                   "/platform/v1/billing/checkout");
  AddBillingHosted(billing, ctx, "portal", "Open the billing portal (hosted service only)",
                   "/platform/v1/billing/portal");
}

}  // namespace flare::cli

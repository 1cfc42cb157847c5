// `flarectl api-keys create|list|revoke` (SPEC §9). The key is printed once, by create;
// flared keeps only its hash. revoke asks on a terminal (or takes --yes) because the key
// stops working at once.

#include "cli/commands/command.h"

namespace flare::cli {
namespace {

const char* kKeys = "/flare/v1/api-keys";

const std::vector<Column> kKeyColumns = {
    {"ID", "id"},
    {"NAME", "name"},
    {"PREFIX", "prefix"},
    {"SCOPES", "scopes", CellKind::kJson},
    {"CREATED", "created_at", CellKind::kTime},
    {"LAST USED", "last_used_at", CellKind::kTime},
    {"REVOKED", "revoked_at", CellKind::kTime},
};

void AddKeyCreate(CLI::App& keys, Context& ctx) {
  auto* cmd = keys.add_subcommand("create", "Create a key (printed once: save it)");
  struct Args {
    std::string name;
    std::vector<std::string> scopes;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--name", args->name, "What the key is for")->required();
  cmd->add_option("--scope", args->scopes,
                  "jobs:read, jobs:write, workers, webhooks or admin (repeatable)")
      ->required();
  OnRun(cmd, ctx, [&ctx, args] {
    nlohmann::json key =
        ctx.api().Call("POST", kKeys, {{"name", args->name}, {"scopes", args->scopes}});
    ctx.printer().Object(
        key,
        {{"id", "id"}, {"name", "name"}, {"scopes", "scopes", CellKind::kJson}, {"key", "key"}});
    ctx.Note("save the key now: it is not shown again");
    return kExitOk;
  });
}

void AddKeyList(CLI::App& keys, Context& ctx) {
  auto* cmd = keys.add_subcommand("list", "List keys (prefixes only, never the keys)");
  auto page = std::make_shared<PageOptions>();
  AddPageFlags(cmd, *page);
  OnRun(cmd, ctx, [&ctx, page] { return PrintList(ctx, kKeys, {}, *page, kKeyColumns); });
}

void AddKeyRevoke(CLI::App& keys, Context& ctx) {
  auto* cmd = keys.add_subcommand("revoke", "Revoke a key: it fails from the next request on");
  auto id = std::make_shared<std::string>();
  auto yes = std::make_shared<bool>(false);
  cmd->add_option("id", *id, "Key id (key_…)")->required();
  cmd->add_flag("-y,--yes", *yes, "Do not ask for confirmation");
  OnRun(cmd, ctx, [&ctx, id, yes] {
    ctx.ConfirmOrThrow("revoke API key " + *id + "? Anything using it stops working", *yes);
    nlohmann::json key = ctx.api().Call("DELETE", ItemPath(kKeys, *id));
    if (ctx.settings().output == OutputFormat::kTable) {
      ctx.Note("revoked " + *id);
    } else {
      ctx.printer().Object(key, kKeyColumns);
    }
    return kExitOk;
  });
}

}  // namespace

void AddApiKeysCommands(CLI::App& keys, Context& ctx) {
  AddKeyCreate(keys, ctx);
  AddKeyList(keys, ctx);
  AddKeyRevoke(keys, ctx);
}

}  // namespace flare::cli

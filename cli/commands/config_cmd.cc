// `flarectl config list|get|set|use|profiles`: profiles in the config file (cli/config.h).
// `list` shows the effective settings and where each came from; keys are never printed.

#include "cli/commands/command.h"

namespace flare::cli {
namespace {

const char* SourceName(KeySource source) {
  switch (source) {
    case KeySource::kFlag:
      return "flag";
    case KeySource::kEnv:
      return "FLARE_API_KEY";
    case KeySource::kProfile:
      return "profile";
    case KeySource::kAdminKeyFile:
      return "admin.key";
    case KeySource::kNone:
      break;
  }
  return "none";
}

/// The profile `config get/set` work on: -p/FLARE_PROFILE, else the current one.
std::string ConfigTargetProfile(Context& ctx) {
  if (!ctx.flags().profile.empty()) return ctx.flags().profile;
  if (auto env = ctx.env().Get("FLARE_PROFILE")) return *env;
  return ctx.config().current_profile();
}

std::string Shown(const std::string& key, const std::string& value) {
  if (key == "api_key" && !value.empty()) return "(set)";
  return value;
}

void AddConfigList(CLI::App& config, Context& ctx) {
  auto* cmd = config.add_subcommand("list", "Effective settings (flag > env > profile > default)");
  OnRun(cmd, ctx, [&ctx] {
    const Settings& s = ctx.settings();
    const char* formats[] = {"table", "json", "jsonl", "id"};
    nlohmann::json view = {{"profile", s.profile},
                           {"config_file", ctx.config().path().string()},
                           {"base_url", s.base_url},
                           {"api_key", SourceName(s.key_source)},
                           {"output", formats[static_cast<int>(s.output)]},
                           {"timeout", std::to_string(s.timeout.count()) + "s"}};
    ctx.printer().Object(view, {{"profile", "profile"},
                                {"config_file", "config_file"},
                                {"base_url", "base_url"},
                                {"api_key", "api_key"},
                                {"output", "output"},
                                {"timeout", "timeout"}});
    return kExitOk;
  });
}

void AddGetSet(CLI::App& config, Context& ctx) {
  auto* get = config.add_subcommand("get", "Print one key of the profile (api_key is masked)");
  auto get_key = std::make_shared<std::string>();
  get->add_option("key", *get_key, "base_url, api_key, output or timeout")->required();
  OnRun(get, ctx, [&ctx, get_key] {
    ctx.io().out() << Shown(*get_key, ctx.config().Get(ConfigTargetProfile(ctx), *get_key)) << '\n';
    return kExitOk;
  });
  auto* set = config.add_subcommand("set", "Set a key in the profile (-p picks the profile)");
  auto key = std::make_shared<std::string>();
  auto value = std::make_shared<std::string>();
  set->add_option("key", *key, "base_url, api_key, output or timeout")->required();
  set->add_option("value", *value, "New value (\"\" removes the key)")->required();
  OnRun(set, ctx, [&ctx, key, value] {
    std::string profile = ConfigTargetProfile(ctx);
    ctx.config().Set(profile, *key, *value);
    ctx.config().Save();
    ctx.Note("set " + *key + " in profile " + profile);
    return kExitOk;
  });
}

void AddUseProfiles(CLI::App& config, Context& ctx) {
  auto* use = config.add_subcommand("use", "Make a profile the current one");
  auto name = std::make_shared<std::string>();
  use->add_option("profile", *name, "Profile name")->required();
  OnRun(use, ctx, [&ctx, name] {
    if (!ctx.config().HasProfile(*name) && *name != kDefaultProfile) {
      throw UsageError("profile '" + *name + "' does not exist",
                       "create it with 'flarectl -p " + *name + " config set base_url URL'");
    }
    ctx.config().set_current_profile(*name);
    ctx.config().Save();
    ctx.Note("using profile " + *name);
    return kExitOk;
  });
  auto* profiles = config.add_subcommand("profiles", "List profiles (* marks the current one)");
  OnRun(profiles, ctx, [&ctx] {
    nlohmann::json rows = nlohmann::json::array();
    std::string current = ctx.config().current_profile();
    for (const auto& profile : ctx.config().ProfileNames()) {
      rows.push_back({{"id", profile},
                      {"current", profile == current ? "*" : ""},
                      {"base_url", ctx.config().Get(profile, "base_url")}});
    }
    ctx.printer().List(rows, {{"", "current"}, {"PROFILE", "id"}, {"BASE URL", "base_url"}});
    return kExitOk;
  });
}

}  // namespace

void AddConfigCommands(CLI::App& config, Context& ctx) {
  AddConfigList(config, ctx);
  AddGetSet(config, ctx);
  AddUseProfiles(config, ctx);
}

}  // namespace flare::cli

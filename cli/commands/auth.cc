// `flarectl auth signup|login|logout|whoami` (SPEC §9): local accounts. signup and login
// store the session token in the profile (the config file is 0600) as its api_key, so every
// later command runs as the user; logout removes it from the profile (the session itself
// simply expires on the server); whoami shows who the current credential is.

#include "cli/commands/command.h"
#include "cli/password_input.h"

namespace flare::cli {
namespace {

struct Credentials {
  std::string email, name;
  PasswordOptions password;
};

void AddCredentialFlags(CLI::App* cmd, Credentials& args) {
  cmd->add_option("--email", args.email, "Account email (asked on a terminal when missing)");
  cmd->add_flag("--password-stdin", args.password.from_stdin,
                "Read the password from the first line of stdin");
  cmd->add_option("--password", args.password.value,
                  "The password itself (RISKY: visible in ps and shell history)");
}

std::string Email(Context& ctx, const Credentials& args) {
  if (!args.email.empty()) return args.email;
  return PromptLine(ctx.io(), "Email: ", "--email");
}

/// The profile a token is saved to: -p/FLARE_PROFILE, else the current one.
std::string LoginTargetProfile(Context& ctx) { return ctx.settings().profile; }

/// `-p staging auth login` makes the profile it names (other commands refuse a missing one).
void EnsureNamedProfile(Context& ctx) {
  std::string named = ctx.flags().profile;
  if (named.empty()) named = ctx.env().Get("FLARE_PROFILE").value_or("");
  if (!named.empty() && !ctx.config().HasProfile(named)) ctx.config().Set(named, "api_key", "");
}

/// Saves the token as the profile's api_key (and --base-url, when given, as its base_url).
void SaveToken(Context& ctx, const std::string& token) {
  ConfigFile& config = ctx.config();
  std::string profile = LoginTargetProfile(ctx);
  config.Set(profile, "api_key", token);
  if (!ctx.flags().base_url.empty()) config.Set(profile, "base_url", ctx.flags().base_url);
  config.Save();
}

const std::vector<Column> kSessionColumns = {
    {"email", "email"}, {"profile", "profile"}, {"expires_at", "expires_at", CellKind::kTime}};

int FinishSession(Context& ctx, const nlohmann::json& answer, const std::string& email) {
  if (!answer.contains("token") || !answer["token"].is_string()) {
    throw CliError(kExitError, "bad_response", "the API answered without a token");
  }
  SaveToken(ctx, answer["token"].get<std::string>());
  nlohmann::json view = {{"email", email},
                         {"profile", LoginTargetProfile(ctx)},
                         {"expires_at", answer.value("expires_at", "")}};
  ctx.Note("logged in as " + email + "; token saved to profile '" + LoginTargetProfile(ctx) +
           "' in " + ctx.config().path().string());
  ctx.printer().Object(view, kSessionColumns);
  return kExitOk;
}

void AddSignup(CLI::App& auth, Context& ctx) {
  auto* cmd = auth.add_subcommand("signup", "Create an account and its own project; logs in");
  auto args = std::make_shared<Credentials>();
  AddCredentialFlags(cmd, *args);
  cmd->add_option("--name", args->name, "Your name (also the new project's name)");
  OnRun(cmd, ctx, [&ctx, args] {
    EnsureNamedProfile(ctx);
    std::string email = Email(ctx, *args);
    nlohmann::json body = {{"email", email},
                           {"password", ReadPassword(ctx.io(), args->password, true)}};
    if (!args->name.empty()) body["name"] = args->name;
    return FinishSession(ctx, ctx.api().Call("POST", "/platform/v1/auth/signup", body), email);
  });
}

void AddLogin(CLI::App& auth, Context& ctx) {
  auto* cmd = auth.add_subcommand("login", "Log in; saves the session token in the profile");
  auto args = std::make_shared<Credentials>();
  AddCredentialFlags(cmd, *args);
  OnRun(cmd, ctx, [&ctx, args] {
    EnsureNamedProfile(ctx);
    std::string email = Email(ctx, *args);
    nlohmann::json body = {{"email", email},
                           {"password", ReadPassword(ctx.io(), args->password, false)}};
    return FinishSession(ctx, ctx.api().Call("POST", "/platform/v1/auth/login", body), email);
  });
}

void AddLogout(CLI::App& auth, Context& ctx) {
  auto* cmd = auth.add_subcommand("logout", "Remove the saved token from the profile");
  OnRun(cmd, ctx, [&ctx] {
    std::string profile = LoginTargetProfile(ctx);
    if (ctx.config().Get(profile, "api_key").empty()) {
      ctx.Note("profile '" + profile + "' holds no token; nothing to do");
      return kExitOk;
    }
    ctx.config().Set(profile, "api_key", "");
    ctx.config().Save();
    ctx.Note("logged out: removed the token from profile '" + profile + "'");
    return kExitOk;
  });
}

void AddWhoami(CLI::App& auth, Context& ctx) {
  auto* cmd = auth.add_subcommand("whoami", "Show the user, project and credential in use");
  OnRun(cmd, ctx, [&ctx] {
    nlohmann::json me = ctx.api().Call("GET", "/platform/v1/auth/me");
    ctx.printer().Object(me, {{"user", "user.email"},
                              {"name", "user.name"},
                              {"project", "project.id"},
                              {"project_name", "project.name"},
                              {"credential", "credential.type"},
                              {"credential_id", "credential.id"},
                              {"scopes", "credential.scopes", CellKind::kJson}});
    return kExitOk;
  });
}

}  // namespace

void AddAuthCommands(CLI::App& auth, Context& ctx) {
  AddSignup(auth, ctx);
  AddLogin(auth, ctx);
  AddLogout(auth, ctx);
  AddWhoami(auth, ctx);
}

}  // namespace flare::cli

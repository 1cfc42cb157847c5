#include "cli/context.h"

#include <ostream>
#include <string>

#include "cli/cli_error.h"

namespace flare::cli {

Context::Context(Io& io, Env env, const Clock& clock)
    : io_(io), env_(std::move(env)), clock_(clock) {}

ConfigFile& Context::config() {
  if (!config_) config_ = ConfigFile::Load(ConfigFile::DefaultPath(env_));
  return *config_;
}

const Settings& Context::settings() {
  if (!settings_) settings_ = ResolveSettings(flags_, env_, config());
  return *settings_;
}

std::unique_ptr<ApiClient> Context::NewApiClient() {
  return std::make_unique<ApiClient>(settings(), flags_.debug ? &io_ : nullptr);
}

ApiClient& Context::api() {
  if (!api_) api_ = NewApiClient();
  return *api_;
}

Printer Context::printer() { return Printer(io_, settings().output, Now()); }

void Context::Note(std::string_view message) {
  if (!flags_.quiet) io_.ErrLine(message);
}

void Context::Progress(std::string_view message) {
  if (!flags_.quiet && io_.stderr_tty()) io_.ErrLine(message);
}

void Context::ConfirmOrThrow(std::string_view question, bool yes) {
  if (yes) return;
  if (!io_.interactive()) {
    throw UsageError(std::string(question) + " needs confirmation",
                     "pass --yes to confirm without a terminal");
  }
  if (!io_.Confirm(question)) {
    throw CliError(kExitError, "aborted", "not confirmed; nothing was changed");
  }
}

}  // namespace flare::cli

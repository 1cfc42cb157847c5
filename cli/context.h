#pragma once
// Context: what every command runs with — the Io, the environment, a clock, the global
// flags as typed, and (made on first use) the resolved Settings, the ApiClient and a Printer.
// Commands get it by reference from the command table; nothing reads globals.

#include <memory>
#include <optional>
#include <string_view>

#include "cli/api_client.h"
#include "cli/config.h"
#include "cli/env.h"
#include "cli/io.h"
#include "cli/output.h"
#include "common/clock.h"

namespace flare::cli {

class Context {
 public:
  Context(Io& io, Env env, const Clock& clock);

  Io& io() { return io_; }
  const Env& env() const { return env_; }
  TimePoint Now() const { return clock_.Now(); }
  /// The global flags, filled by CLI11 while parsing.
  GlobalOptions& flags() { return flags_; }

  /// The config file at its default path (loaded on first use).
  ConfigFile& config();
  /// flag > env > profile > default, resolved on first use.
  const Settings& settings();
  /// The client for settings(), made on first use (with the --debug trace when asked).
  ApiClient& api();
  /// A new client (worker run needs one per thread).
  std::unique_ptr<ApiClient> NewApiClient();
  /// A printer for settings().output.
  Printer printer();

  /// Chatter on stderr ("deleted job_…"), unless --quiet.
  void Note(std::string_view message);
  /// Long-work progress on stderr, only when stderr is a TTY and not --quiet.
  void Progress(std::string_view message);
  /// For destructive verbs: true with --yes; asks on a TTY; otherwise throws a usage error.
  void ConfirmOrThrow(std::string_view question, bool yes);

  int exit_code() const { return exit_code_; }
  void set_exit_code(int code) { exit_code_ = code; }

 private:
  Io& io_;
  Env env_;
  const Clock& clock_;
  GlobalOptions flags_;
  std::optional<ConfigFile> config_;
  std::optional<Settings> settings_;
  std::unique_ptr<ApiClient> api_;
  int exit_code_ = 0;
};

}  // namespace flare::cli

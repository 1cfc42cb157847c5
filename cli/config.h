#pragma once
// flarectl's configuration: named profiles in $XDG_CONFIG_HOME/flare/config.json (mode 0600)
// and the rule that turns flags, environment and profile into one Settings:
// flag > env > profile > default (SPEC §9).
//
// File shape: {"current_profile": "default",
//              "profiles": {"default": {"base_url": "...", "api_key": "...", ...}}}
//
// With no key from anywhere and a loopback base URL, the local daemon's admin key is read
// from <data-dir>/admin.key, data-dir being $FLARE_DATA_DIR, else $XDG_DATA_HOME/flare,
// else ~/.local/share/flare (the same rule flared uses, SPEC §8).

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/env.h"

namespace flare::cli {

inline constexpr const char* kDefaultBaseUrl = "http://127.0.0.1:5100";
inline constexpr const char* kDefaultProfile = "default";

enum class OutputFormat { kTable, kJson, kJsonl, kId };

/// Parses "table|json|jsonl|id"; throws CliError (usage) otherwise.
OutputFormat ParseOutputFormat(const std::string& text);

/// The global flags as typed; an empty string means "not given".
struct GlobalOptions {
  std::string profile;
  std::string base_url;
  std::string api_key;
  std::string output;
  std::string timeout;
  bool quiet = false;
  bool no_color = false;
  bool debug = false;
};

/// Where the API key came from (for `config list`; the key itself is never shown).
enum class KeySource { kNone, kFlag, kEnv, kProfile, kAdminKeyFile };

/// What a command runs with, after precedence.
struct Settings {
  std::string profile;
  std::string base_url;
  std::string api_key;
  KeySource key_source = KeySource::kNone;
  OutputFormat output = OutputFormat::kTable;
  std::chrono::seconds timeout{30};
};

/// The keys a profile may hold, in display order.
const std::vector<std::string>& ProfileKeys();

class ConfigFile {
 public:
  /// $XDG_CONFIG_HOME/flare/config.json, else ~/.config/flare/config.json.
  static std::filesystem::path DefaultPath(const Env& env);
  /// Reads the file; a missing file is an empty config. Throws CliError on bad JSON.
  static ConfigFile Load(const std::filesystem::path& path);
  /// Writes atomically (temp file + rename) with mode 0600, creating the folder (0700).
  void Save() const;

  const std::filesystem::path& path() const { return path_; }
  /// The profile `use` selected, or "default".
  std::string current_profile() const;
  void set_current_profile(const std::string& name);
  bool HasProfile(const std::string& name) const;
  std::vector<std::string> ProfileNames() const;
  /// A profile's value for `key`, or "" when unset.
  std::string Get(const std::string& profile, const std::string& key) const;
  /// Sets (or, with an empty value, removes) a key; throws CliError for unknown keys.
  void Set(const std::string& profile, const std::string& key, const std::string& value);

 private:
  std::filesystem::path path_;
  nlohmann::json doc_ = nlohmann::json::object();
};

/// Applies flag > env > profile > default, then the loopback admin.key fallback.
/// Throws CliError (usage) for a bad --output/--timeout or an explicitly named missing profile.
Settings ResolveSettings(const GlobalOptions& flags, const Env& env, const ConfigFile& config);

/// $FLARE_DATA_DIR, else $XDG_DATA_HOME/flare, else ~/.local/share/flare.
std::filesystem::path DataDir(const Env& env);
/// True for 127.0.0.0/8, localhost and [::1] base URLs.
bool IsLoopbackUrl(const std::string& base_url);

}  // namespace flare::cli

#include "cli/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli/cli_error.h"
#include "common/time_format.h"

namespace flare::cli {
namespace {

std::string Home(const Env& env) { return env.Get("HOME").value_or("/"); }

std::string ReadTrimmed(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

/// "http://127.0.0.1:5100/x" → "127.0.0.1"; "[::1]:80" → "::1".
std::string HostOf(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find('/', start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[') {
    return authority.substr(1, authority.find(']') - 1);
  }
  return authority.substr(0, authority.find(':'));
}

std::string FirstOf(std::initializer_list<std::string> candidates) {
  for (const auto& candidate : candidates) {
    if (!candidate.empty()) return candidate;
  }
  return "";
}

}  // namespace

OutputFormat ParseOutputFormat(const std::string& text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  if (text == "jsonl") return OutputFormat::kJsonl;
  if (text == "id") return OutputFormat::kId;
  throw UsageError("unknown output format '" + text + "'", "use one of table, json, jsonl, id");
}

const std::vector<std::string>& ProfileKeys() {
  static const std::vector<std::string> keys = {"base_url", "api_key", "output", "timeout"};
  return keys;
}

std::filesystem::path ConfigFile::DefaultPath(const Env& env) {
  if (auto xdg = env.Get("XDG_CONFIG_HOME")) {
    return std::filesystem::path(*xdg) / "flare" / "config.json";
  }
  return std::filesystem::path(Home(env)) / ".config" / "flare" / "config.json";
}

ConfigFile ConfigFile::Load(const std::filesystem::path& path) {
  ConfigFile config;
  config.path_ = path;
  std::string text = ReadTrimmed(path);
  if (text.empty()) return config;
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    throw CliError(kExitError, "bad_config",
                   "config file " + path.string() + " is not a JSON object",
                   "fix or remove the file; 'flarectl config set' rewrites it");
  }
  config.doc_ = std::move(doc);
  return config;
}

void ConfigFile::Save() const {
  std::error_code ignored;
  std::filesystem::create_directories(path_.parent_path(), ignored);
  chmod(path_.parent_path().c_str(), 0700);
  std::string temp = path_.string() + ".tmp";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw CliError(kExitError, "config_write_failed", "cannot write " + temp);
  }
  fchmod(fd, 0600);  // an old temp file may have had another mode
  std::string text = doc_.dump(2) + "\n";
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = fsync(fd) == 0 && ok;
  close(fd);
  if (!ok || rename(temp.c_str(), path_.c_str()) != 0) {
    throw CliError(kExitError, "config_write_failed", "cannot write " + path_.string());
  }
}

std::string ConfigFile::current_profile() const {
  auto it = doc_.find("current_profile");
  if (it != doc_.end() && it->is_string() && !it->get<std::string>().empty()) return *it;
  return kDefaultProfile;
}

void ConfigFile::set_current_profile(const std::string& name) { doc_["current_profile"] = name; }

bool ConfigFile::HasProfile(const std::string& name) const {
  auto profiles = doc_.find("profiles");
  return profiles != doc_.end() && profiles->is_object() && profiles->contains(name);
}

std::vector<std::string> ConfigFile::ProfileNames() const {
  std::vector<std::string> names;
  auto profiles = doc_.find("profiles");
  if (profiles != doc_.end() && profiles->is_object()) {
    for (const auto& [name, value] : profiles->items()) names.push_back(name);
  }
  return names;
}

std::string ConfigFile::Get(const std::string& profile, const std::string& key) const {
  if (!HasProfile(profile)) return "";
  const auto& entry = doc_["profiles"][profile];
  auto it = entry.find(key);
  if (it == entry.end() || !it->is_string()) return "";
  return *it;
}

void ConfigFile::Set(const std::string& profile, const std::string& key, const std::string& value) {
  const auto& keys = ProfileKeys();
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
    throw UsageError("unknown config key '" + key + "'",
                     "keys are base_url, api_key, output, timeout");
  }
  if (key == "output" && !value.empty()) ParseOutputFormat(value);
  if (key == "timeout" && !value.empty() && !ParseDuration(value).ok()) {
    throw UsageError("timeout '" + value + "' is not a duration like 30s or 2m");
  }
  auto& entry = doc_["profiles"][profile];
  if (value.empty()) {
    if (entry.is_object()) entry.erase(key);
  } else {
    entry[key] = value;
  }
  if (entry.is_null()) entry = nlohmann::json::object();
}

std::filesystem::path DataDir(const Env& env) {
  if (auto dir = env.Get("FLARE_DATA_DIR")) return *dir;
  if (auto xdg = env.Get("XDG_DATA_HOME")) return std::filesystem::path(*xdg) / "flare";
  return std::filesystem::path(Home(env)) / ".local" / "share" / "flare";
}

bool IsLoopbackUrl(const std::string& base_url) {
  std::string host = HostOf(base_url);
  std::transform(host.begin(), host.end(), host.begin(), ::tolower);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Settings ResolveSettings(const GlobalOptions& flags, const Env& env, const ConfigFile& config) {
  Settings settings;
  settings.profile =
      FirstOf({flags.profile, env.Get("FLARE_PROFILE").value_or(""), config.current_profile()});
  bool named = !flags.profile.empty() || env.Get("FLARE_PROFILE").has_value();
  if (named && !config.HasProfile(settings.profile) && settings.profile != kDefaultProfile) {
    throw UsageError("profile '" + settings.profile + "' does not exist",
                     "list them with 'flarectl config profiles'");
  }
  auto profile = [&](const char* key) { return config.Get(settings.profile, key); };
  settings.base_url = FirstOf({flags.base_url, env.Get("FLARE_BASE_URL").value_or(""),
                               profile("base_url"), kDefaultBaseUrl});
  while (settings.base_url.size() > 1 && settings.base_url.back() == '/') {
    settings.base_url.pop_back();
  }
  std::string env_key = env.Get("FLARE_API_KEY").value_or("");
  settings.api_key = FirstOf({flags.api_key, env_key, profile("api_key")});
  settings.key_source = !flags.api_key.empty()      ? KeySource::kFlag
                        : !env_key.empty()          ? KeySource::kEnv
                        : !settings.api_key.empty() ? KeySource::kProfile
                                                    : KeySource::kNone;
  if (settings.api_key.empty() && IsLoopbackUrl(settings.base_url)) {
    settings.api_key = ReadTrimmed(DataDir(env) / "admin.key");
    if (!settings.api_key.empty()) settings.key_source = KeySource::kAdminKeyFile;
  }
  std::string output = FirstOf({flags.output, profile("output"), "table"});
  settings.output = ParseOutputFormat(output);
  std::string timeout = FirstOf({flags.timeout, profile("timeout")});
  if (!timeout.empty()) {
    auto parsed = ParseDuration(timeout);
    if (!parsed.ok()) throw UsageError("timeout '" + timeout + "' is not a duration like 30s");
    settings.timeout = *parsed;
  }
  return settings;
}

}  // namespace flare::cli

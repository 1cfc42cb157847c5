#include "cli/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "cli/cli_error.h"
#include "tests/unit/cli/cli_test_support.h"

namespace flare::cli {
namespace {

using testing::Sandbox;

ConfigFile WriteProfiles(const Sandbox& sandbox) {
  ConfigFile config = ConfigFile::Load(sandbox.config_path());
  config.Set("default", "base_url", "http://profile-default:1");
  config.Set("default", "api_key", "key_from_profile");
  config.Set("staging", "base_url", "https://staging.example");
  config.Set("staging", "output", "json");
  config.Set("staging", "timeout", "2m");
  config.Save();
  return ConfigFile::Load(sandbox.config_path());
}

TEST(Config, PrecedenceIsFlagThenEnvThenProfileThenDefault) {
  Sandbox sandbox;
  ConfigFile config = WriteProfiles(sandbox);
  GlobalOptions flags;
  Settings s = ResolveSettings(flags, sandbox.MakeEnv(), config);
  EXPECT_EQ(s.base_url, "http://profile-default:1");
  EXPECT_EQ(s.api_key, "key_from_profile");
  EXPECT_EQ(s.key_source, KeySource::kProfile);

  s = ResolveSettings(flags,
                      sandbox.MakeEnv(Env::Vars{{"FLARE_BASE_URL", "http://env:2/"},
                                                {"FLARE_API_KEY", "key_from_env"}}),
                      config);
  EXPECT_EQ(s.base_url, "http://env:2");  // trailing slash trimmed
  EXPECT_EQ(s.api_key, "key_from_env");
  EXPECT_EQ(s.key_source, KeySource::kEnv);

  flags.base_url = "http://flag:3";
  flags.api_key = "key_from_flag";
  s = ResolveSettings(flags, sandbox.MakeEnv(Env::Vars{{"FLARE_BASE_URL", "http://env:2"}}),
                      config);
  EXPECT_EQ(s.base_url, "http://flag:3");
  EXPECT_EQ(s.api_key, "key_from_flag");
  EXPECT_EQ(s.key_source, KeySource::kFlag);
}

TEST(Config, ProfileFromFlagEnvOrCurrent) {
  Sandbox sandbox;
  ConfigFile config = WriteProfiles(sandbox);
  GlobalOptions flags;
  Settings s =
      ResolveSettings(flags, sandbox.MakeEnv(Env::Vars{{"FLARE_PROFILE", "staging"}}), config);
  EXPECT_EQ(s.profile, "staging");
  EXPECT_EQ(s.base_url, "https://staging.example");
  EXPECT_EQ(s.output, OutputFormat::kJson);
  EXPECT_EQ(s.timeout, std::chrono::seconds(120));

  config.set_current_profile("staging");
  s = ResolveSettings(flags, sandbox.MakeEnv(), config);
  EXPECT_EQ(s.profile, "staging");

  flags.profile = "default";
  flags.output = "id";
  s = ResolveSettings(flags, sandbox.MakeEnv(Env::Vars{{"FLARE_PROFILE", "staging"}}), config);
  EXPECT_EQ(s.base_url, "http://profile-default:1");
  EXPECT_EQ(s.output, OutputFormat::kId);

  flags.profile = "nope";
  EXPECT_THROW(ResolveSettings(flags, sandbox.MakeEnv(), config), CliError);
}

TEST(Config, DefaultsWithNothingConfigured) {
  Sandbox sandbox;
  Settings s = ResolveSettings({}, sandbox.MakeEnv(), ConfigFile::Load(sandbox.config_path()));
  EXPECT_EQ(s.base_url, kDefaultBaseUrl);
  EXPECT_EQ(s.output, OutputFormat::kTable);
  EXPECT_EQ(s.timeout, std::chrono::seconds(30));
  EXPECT_EQ(s.key_source, KeySource::kNone);
}

TEST(Config, FileIsWrittenWithMode0600) {
  Sandbox sandbox;
  WriteProfiles(sandbox);
  struct stat info {};
  ASSERT_EQ(stat(sandbox.config_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  auto doc = nlohmann::json::parse(std::ifstream(sandbox.config_path()));
  EXPECT_EQ(doc["profiles"]["staging"]["output"], "json");
}

TEST(Config, RejectsUnknownKeysAndBadValues) {
  Sandbox sandbox;
  ConfigFile config = ConfigFile::Load(sandbox.config_path());
  EXPECT_THROW(config.Set("default", "colour", "x"), CliError);
  EXPECT_THROW(config.Set("default", "output", "yaml"), CliError);
  EXPECT_THROW(config.Set("default", "timeout", "soon"), CliError);
}

TEST(Config, LoopbackBaseUrlReadsTheLocalAdminKey) {
  Sandbox sandbox;
  std::ofstream(sandbox.data_dir() / "admin.key") << "flare_admin_secret\n";
  auto config = ConfigFile::Load(sandbox.config_path());
  Settings s = ResolveSettings({}, sandbox.MakeEnv(), config);
  EXPECT_EQ(s.api_key, "flare_admin_secret");
  EXPECT_EQ(s.key_source, KeySource::kAdminKeyFile);

  GlobalOptions remote;
  remote.base_url = "https://api.zeridion.com";
  EXPECT_EQ(ResolveSettings(remote, sandbox.MakeEnv(), config).api_key, "");
}

TEST(Config, DataDirFollowsFlareThenXdgThenHome) {
  EXPECT_EQ(DataDir(Env(Env::Vars{{"FLARE_DATA_DIR", "/d"}, {"XDG_DATA_HOME", "/x"}})), "/d");
  EXPECT_EQ(DataDir(Env(Env::Vars{{"XDG_DATA_HOME", "/x"}, {"HOME", "/h"}})), "/x/flare");
  EXPECT_EQ(DataDir(Env(Env::Vars{{"HOME", "/h"}})), "/h/.local/share/flare");
  EXPECT_EQ(ConfigFile::DefaultPath(Env(Env::Vars{{"HOME", "/h"}})),
            "/h/.config/flare/config.json");
}

TEST(Config, LoopbackDetection) {
  EXPECT_TRUE(IsLoopbackUrl("http://127.0.0.1:5100"));
  EXPECT_TRUE(IsLoopbackUrl("http://127.9.8.7"));
  EXPECT_TRUE(IsLoopbackUrl("http://localhost:5100/x"));
  EXPECT_TRUE(IsLoopbackUrl("http://[::1]:5100"));
  EXPECT_FALSE(IsLoopbackUrl("https://api.zeridion.com"));
  EXPECT_FALSE(IsLoopbackUrl("http://128.0.0.1"));
  EXPECT_FALSE(IsLoopbackUrl("http://localhost.evil.com"));
}

TEST(ConfigCommands, SetUseProfilesListNeverShowTheKey) {
  Sandbox sandbox;
  EXPECT_EQ(sandbox.Run({"-p", "prod", "config", "set", "base_url", "https://p.example"}).exit_code,
            0);
  EXPECT_EQ(sandbox.Run({"-p", "prod", "config", "set", "api_key", "sk_secret_1"}).exit_code, 0);
  EXPECT_EQ(sandbox.Run({"config", "use", "prod"}).exit_code, 0);
  auto get = sandbox.Run({"config", "get", "base_url"});
  EXPECT_EQ(get.out, "https://p.example\n");
  auto list = sandbox.Run({"config", "list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("https://p.example"), std::string::npos);
  EXPECT_EQ(list.out.find("sk_secret_1"), std::string::npos);
  EXPECT_EQ(sandbox.Run({"config", "get", "api_key"}).out.find("sk_secret_1"), std::string::npos);
  auto profiles = sandbox.Run({"config", "profiles"});
  EXPECT_NE(profiles.out.find("prod"), std::string::npos);
  EXPECT_EQ(sandbox.Run({"config", "use", "ghost"}).exit_code, kExitUsage);
}

}  // namespace
}  // namespace flare::cli

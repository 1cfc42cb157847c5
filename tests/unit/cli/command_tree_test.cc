// The checked-in completions and man page must match the live command tree.

#include "cli/command_tree.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "cli/app.h"
#include "cli/context.h"
#include "tests/unit/cli/cli_test_support.h"

namespace flare::cli {
namespace {

std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::string(FLARE_SOURCE_DIR) + "/" + relative);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<CommandNode> Tree() {
  static testing::FakeIo fake;
  static Context ctx(fake.io, Env(std::map<std::string, std::string>{}), SystemClock::Instance());
  static auto app = BuildApp(ctx);
  return WalkCommands(*app);
}

constexpr const char* kRegenerate =
    " is out of date; regenerate: flarectl completion bash > completions/flarectl.bash; "
    "flarectl completion zsh > completions/_flarectl; flarectl completion fish > "
    "completions/flarectl.fish; flarectl __man > man/flarectl.1";

TEST(CommandTree, CheckedInCompletionsMatchTheTree) {
  auto tree = Tree();
  EXPECT_EQ(ReadSource("completions/flarectl.bash"), BashCompletion(tree)) << "bash" << kRegenerate;
  EXPECT_EQ(ReadSource("completions/_flarectl"), ZshCompletion(tree)) << "zsh" << kRegenerate;
  EXPECT_EQ(ReadSource("completions/flarectl.fish"), FishCompletion(tree)) << "fish" << kRegenerate;
  EXPECT_EQ(ReadSource("man/flarectl.1"), ManPage(tree)) << "man page" << kRegenerate;
}

TEST(CommandTree, EveryCommandAndFlagIsInEveryFile) {
  std::string unescaped_man = ReadSource("man/flarectl.1");
  for (size_t at = unescaped_man.find("\\-"); at != std::string::npos;
       at = unescaped_man.find("\\-", at)) {
    unescaped_man.erase(at, 1);
  }
  std::vector<std::pair<std::string, std::string>> files = {
      {"completions/flarectl.bash", ReadSource("completions/flarectl.bash")},
      {"completions/_flarectl", ReadSource("completions/_flarectl")},
      {"completions/flarectl.fish", ReadSource("completions/flarectl.fish")},
      {"man/flarectl.1", unescaped_man}};
  for (const auto& node : Tree()) {
    for (const auto& [name, text] : files) {
      EXPECT_NE(text.find(node.path), std::string::npos) << name << " misses " << node.path;
      for (const auto& flag : node.flags) {
        std::string long_name = flag.names.front().substr(2);
        EXPECT_NE(text.find(long_name), std::string::npos)
            << name << " misses " << node.path << " --" << long_name;
      }
    }
  }
}

TEST(CommandTree, HasTheSpecCommands) {
  std::set<std::string> paths;
  for (const auto& node : Tree()) paths.insert(node.path);
  for (const char* path : {"jobs create",      "jobs batch",      "jobs list",
                           "jobs get",         "jobs update",     "jobs pause",
                           "jobs resume",      "jobs delete",     "jobs cancel",
                           "jobs retry",       "jobs trigger",    "jobs events",
                           "jobs wait",        "runs list",       "runs get",
                           "runs cancel",      "runs rerun",      "workers register",
                           "workers poll",     "workers ack",     "workers heartbeat",
                           "workers progress", "workers list",    "worker run",
                           "config list",      "config get",      "config set",
                           "config use",       "config profiles", "api",
                           "completion",       "version",         "help"}) {
    EXPECT_TRUE(paths.count(path)) << path;
  }
  EXPECT_FALSE(paths.count("__man"));
}

TEST(CommandTree, FlaredManPageCoversItsFlags) {
  std::string man = ReadSource("man/flared.8");
  for (const char* flag :
       {"listen", "data\\-dir", "db", "allow\\-private\\-targets", "allow\\-target",
        "executor\\-concurrency", "durability", "retain\\-succeeded", "retain\\-failed",
        "log\\-format", "log\\-level", "max\\-waiters", "signup"}) {
    EXPECT_NE(man.find(std::string("\\-\\-") + flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace flare::cli

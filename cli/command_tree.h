#pragma once
// The command tree as data, read from the live CLI11 app, and the files made from it:
// bash/zsh/fish completions and the flarectl(1) man page. The checked-in copies in
// completions/ and man/ are this output; tests/unit/cli/command_tree_test.cc fails when they
// drift. Regenerate with:
//   flarectl completion bash > completions/flarectl.bash   (zsh → _flarectl, fish → flarectl.fish)
//   flarectl __man > man/flarectl.1

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace flare::cli {

struct FlagInfo {
  std::vector<std::string> names;  // "--queue", "-q"
  std::string description;
  bool takes_value = false;
};

struct CommandNode {
  std::string path;  // "" for the root, "jobs create"
  std::string description;
  std::vector<std::string> children;     // visible subcommand names
  std::vector<FlagInfo> flags;           // without --help
  std::vector<std::string> positionals;  // names
};

/// Every visible command, root first, in declaration order (hidden ones skipped).
std::vector<CommandNode> WalkCommands(const CLI::App& root);

std::string BashCompletion(const std::vector<CommandNode>& tree);
std::string ZshCompletion(const std::vector<CommandNode>& tree);
std::string FishCompletion(const std::vector<CommandNode>& tree);
std::string ManPage(const std::vector<CommandNode>& tree);

}  // namespace flare::cli

#pragma once
// Reading a password for `auth signup|login` without putting it where others can see it:
// --password-stdin (first line of stdin, for scripts), an interactive prompt with echo off
// on a terminal, or — only when asked for explicitly — --password VALUE, which leaves the
// password in `ps` output and shell history (a warning says so).

#include <string>

#include "cli/io.h"

namespace flare::cli {

struct PasswordOptions {
  std::string value;  // --password (risky)
  bool from_stdin = false;
};

/// The password per `options`; prompts on a terminal (twice with `confirm`). Throws a usage
/// CliError when there is no way to get one.
std::string ReadPassword(Io& io, const PasswordOptions& options, bool confirm);
/// A line typed at the terminal with echo on (e.g. the email); throws without a terminal.
std::string PromptLine(Io& io, const std::string& prompt, const std::string& flag);

}  // namespace flare::cli

#pragma once
// flarectl's entry: builds the CLI11 tree (global flags + the command table), parses, runs
// the chosen verb, and turns every failure into "error: <sentence> (<code>)" + "hint: …" on
// stderr and an exit code (SPEC §9). This is the one place exceptions are caught.

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/context.h"
#include "cli/env.h"
#include "cli/io.h"
#include "common/clock.h"

namespace flare::cli {

/// The whole command tree, options bound to `ctx` (tests and completion generation walk it).
std::unique_ptr<CLI::App> BuildApp(Context& ctx);

/// Runs flarectl with `argv`; returns the process exit code.
int RunCli(int argc, const char* const* argv, Io& io, const Env& env, const Clock& clock);

/// Prints a CliError-shaped failure to stderr.
void PrintError(Io& io, const std::string& message, const std::string& code,
                const std::string& hint);

}  // namespace flare::cli

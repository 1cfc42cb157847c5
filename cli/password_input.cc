#include "cli/password_input.h"

#include <termios.h>
#include <unistd.h>

#include <istream>
#include <ostream>

#include "cli/cli_error.h"

namespace flare::cli {
namespace {

std::string ReadLine(std::istream& in) {
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Echo off on stdin while the password is typed; restored on every path out.
std::string ReadHidden(Io& io, const std::string& prompt) {
  io.err() << prompt << std::flush;
  termios old_mode{};
  bool restore = tcgetattr(STDIN_FILENO, &old_mode) == 0;
  if (restore) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line = ReadLine(io.in());
  if (restore) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
  io.err() << '\n' << std::flush;
  return line;
}

}  // namespace

std::string ReadPassword(Io& io, const PasswordOptions& options, bool confirm) {
  if (!options.value.empty()) {
    io.ErrLine(
        "warning: a password on the command line is visible to other users (ps) and kept in "
        "shell history; prefer --password-stdin");
    return options.value;
  }
  if (options.from_stdin) {
    std::string line = ReadLine(io.in());
    if (line.empty()) throw UsageError("--password-stdin read an empty line");
    return line;
  }
  if (!io.interactive()) {
    throw UsageError("no password given",
                     "pipe it with --password-stdin, or run on a terminal to be asked");
  }
  std::string password = ReadHidden(io, "Password: ");
  if (confirm && ReadHidden(io, "Password (again): ") != password) {
    throw UsageError("the two passwords differ; nothing was changed");
  }
  return password;
}

std::string PromptLine(Io& io, const std::string& prompt, const std::string& flag) {
  if (!io.interactive()) throw UsageError(flag + " is required without a terminal");
  io.err() << prompt << std::flush;
  return ReadLine(io.in());
}

}  // namespace flare::cli

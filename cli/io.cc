#include "cli/io.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

namespace flare::cli {
namespace {

int DetectWidth() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  const char* columns = std::getenv("COLUMNS");
  if (columns != nullptr && std::atoi(columns) > 0) return std::atoi(columns);
  return 80;
}

std::string_view EscapeOf(Style style) {
  switch (style) {
    case Style::kBold:
      return "\x1b[1m";
    case Style::kDim:
      return "\x1b[2m";
    case Style::kRed:
      return "\x1b[31m";
    case Style::kGreen:
      return "\x1b[32m";
    case Style::kYellow:
      return "\x1b[33m";
    case Style::kBlue:
      return "\x1b[34m";
    case Style::kCyan:
      return "\x1b[36m";
    case Style::kPlain:
      break;
  }
  return "";
}

}  // namespace

Io::Io(std::istream& in, std::ostream& out, std::ostream& err, Terminal terminal, bool color)
    : in_(in), out_(out), err_(err), terminal_(terminal), color_(color) {}

Io& Io::Process() {
  static Io io = [] {
    Terminal terminal;
    terminal.stdin_tty = isatty(STDIN_FILENO) == 1;
    terminal.stdout_tty = isatty(STDOUT_FILENO) == 1;
    terminal.stderr_tty = isatty(STDERR_FILENO) == 1;
    terminal.width = DetectWidth();
    const char* term = std::getenv("TERM");
    bool color = terminal.stdout_tty && std::getenv("NO_COLOR") == nullptr &&
                 !(term != nullptr && std::strcmp(term, "dumb") == 0);
    return Io(std::cin, std::cout, std::cerr, terminal, color);
  }();
  return io;
}

std::string Io::Paint(std::string_view text, Style style) const {
  if (!color_ || style == Style::kPlain) return std::string(text);
  std::string painted(EscapeOf(style));
  painted += text;
  painted += "\x1b[0m";
  return painted;
}

void Io::ErrLine(std::string_view line) {
  std::lock_guard lock(err_mutex_);
  err_ << line << '\n';
  err_.flush();
}

bool Io::Confirm(std::string_view question) {
  {
    std::lock_guard lock(err_mutex_);
    err_ << question << " [y/N] ";
    err_.flush();
  }
  std::string answer;
  if (!std::getline(in_, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

}  // namespace flare::cli

#pragma once
// Io: the one object that knows the terminal (after ninja's LinePrinter and gh's iostreams).
// It decides once whether stdin/stdout/stderr are terminals, whether to colour and how wide
// the screen is, and is passed down; commands ask it and never call isatty themselves.

#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>

namespace flare::cli {

/// What the terminal looks like, decided once at start (or made up by a test).
struct Terminal {
  bool stdin_tty = false;
  bool stdout_tty = false;
  bool stderr_tty = false;
  int width = 80;
};

/// ANSI styles for table cells and messages.
enum class Style { kPlain, kBold, kDim, kRed, kGreen, kYellow, kBlue, kCyan };

class Io {
 public:
  /// `color` is the initial decision; --no-color and NO_COLOR can only turn it off.
  Io(std::istream& in, std::ostream& out, std::ostream& err, Terminal terminal, bool color);

  /// The process's stdin/stdout/stderr, with TTYs, width and colour (NO_COLOR, TERM=dumb) detected.
  static Io& Process();

  std::istream& in() { return in_; }
  /// Data only: what a script pipes on.
  std::ostream& out() { return out_; }
  /// Raw stderr (CLI11's help printer); everything else uses ErrLine.
  std::ostream& err() { return err_; }
  const Terminal& terminal() const { return terminal_; }
  bool stdout_tty() const { return terminal_.stdout_tty; }
  bool stderr_tty() const { return terminal_.stderr_tty; }
  /// A person can be asked a question: stdin and stderr are both terminals.
  bool interactive() const { return terminal_.stdin_tty && terminal_.stderr_tty; }
  bool color() const { return color_; }
  void DisableColor() { color_ = false; }

  /// `text` wrapped in the style's escape codes when colouring, else unchanged.
  std::string Paint(std::string_view text, Style style) const;
  /// Writes one whole line to stderr; safe from several threads (worker run).
  void ErrLine(std::string_view line);
  /// Asks a yes/no question on stderr and reads the answer from stdin; default no.
  bool Confirm(std::string_view question);

 private:
  std::istream& in_;
  std::ostream& out_;
  std::ostream& err_;
  Terminal terminal_;
  bool color_;
  std::mutex err_mutex_;
};

}  // namespace flare::cli

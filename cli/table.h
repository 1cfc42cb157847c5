#pragma once
// Table: rows of cells rendered two ways. On a terminal: a header row, columns aligned by
// display width, colours. Piped: no header, cells joined by tabs, no colour — easy to cut(1).

#include <ostream>
#include <string>
#include <vector>

#include "cli/io.h"

namespace flare::cli {

struct Cell {
  std::string text;
  Style style = Style::kPlain;
};

/// kAligned prints a bold header row; kAlignedNoHeader is for field/value views.
enum class TableMode { kAligned, kAlignedNoHeader, kTabSeparated };

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  void AddRow(std::vector<Cell> cells);
  size_t size() const { return rows_.size(); }
  /// Writes the table; `io` paints cells (it knows whether colour is on).
  void Render(std::ostream& out, const Io& io, TableMode mode) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<Cell>> rows_;
};

/// Display width of UTF-8 text (code points; no escape codes expected).
size_t DisplayWidth(const std::string& text);

}  // namespace flare::cli

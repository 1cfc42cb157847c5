#include "cli/table.h"

#include <algorithm>

namespace flare::cli {

size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<Cell> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::Render(std::ostream& out, const Io& io, TableMode mode) const {
  if (mode == TableMode::kTabSeparated) {
    for (const auto& row : rows_) {
      for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) out << '\t';
        out << row[i].text;
      }
      out << '\n';
    }
    return;
  }
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i].text));
    }
  }
  auto write_row = [&](const std::vector<Cell>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      out << io.Paint(row[i].text, row[i].style);
      if (i + 1 < row.size()) out << std::string(widths[i] - DisplayWidth(row[i].text) + 2, ' ');
    }
    out << '\n';
  };
  std::vector<Cell> header;
  for (const auto& name : headers_) header.push_back({name, Style::kBold});
  if (mode == TableMode::kAligned) write_row(header);
  for (const auto& row : rows_) write_row(row);
}

}  // namespace flare::cli

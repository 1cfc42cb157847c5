#include "daemon/service/csv.h"

namespace flare::daemon {

void AppendCsvCell(std::string& out, std::string_view cell) {
  bool formula =
      !cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@');
  bool quote = cell.find_first_of(",\"\r\n") != std::string_view::npos;
  if (quote) out.push_back('"');
  if (formula) out.push_back('\'');
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  if (quote) out.push_back('"');
}

void AppendCsvRecord(std::string& out, const std::vector<std::string>& cells) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendCsvCell(out, cells[i]);
  }
  out.append("\r\n");
}

}  // namespace flare::daemon

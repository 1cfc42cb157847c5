#pragma once
// CSV as exports write it: RFC 4180 (fields with a comma, quote, CR or LF are quoted, quotes
// doubled; records end with CRLF), and cells a spreadsheet would run as a formula (those
// starting with = + - @) neutralised with a leading apostrophe (OWASP "CSV injection").

#include <string>
#include <string_view>
#include <vector>

namespace flare::daemon {

/// Appends one cell, neutralised and quoted as needed (no separator).
void AppendCsvCell(std::string& out, std::string_view cell);
/// Appends one record: the cells joined by commas, then CRLF.
void AppendCsvRecord(std::string& out, const std::vector<std::string>& cells);

}  // namespace flare::daemon

#pragma once
// JSON string literals written by hand, byte for byte as nlohmann::json writes them with
// dump(-1, ' ', false, error_handler_t::replace), the way flared's API writes its bodies:
// '"' and '\\' escaped, \b \f \n \r \t by name, other control characters as \u00XX
// (lowercase hex), DEL and valid UTF-8 passed through, and each invalid UTF-8 sequence
// replaced by U+FFFD exactly where nlohmann replaces it, so the output is always valid
// UTF-8. Exports write millions of strings; building a json value for each cost more than
// the rest of the row.

#include <string>
#include <string_view>

namespace flare {

/// Appends `text` as a JSON string literal (quotes included).
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace flare

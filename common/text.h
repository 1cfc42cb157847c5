// Small string_view helpers shared by the parsers.
#pragma once

#include <string_view>

namespace flare {

/// `text` without leading and trailing spaces, tabs and line ends.
inline std::string_view TrimWhitespace(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace flare

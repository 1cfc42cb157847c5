#pragma once
// User text echoed back in an error message. Messages travel as JSON, which
// must be valid UTF-8, and are read on terminals, so anything other than
// printable ASCII is written as a \xHH escape and long text is cut short.

#include <cstdio>
#include <string>
#include <string_view>

namespace flare {

/// `text` made printable ASCII and cut after `max_chars` input bytes ("...").
inline std::string Printable(std::string_view text, size_t max_chars = 40) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < max_chars; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\x%02X", c);
      out += escape;
    }
  }
  if (text.size() > max_chars) out += "...";
  return out;
}

}  // namespace flare

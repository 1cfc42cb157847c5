#pragma once
// The absolute http(s) URLs the transport accepts, and redirect targets
// resolved against them. Deliberately strict: no user info (a classic way to
// make "http://127.0.0.1@example.com" mean two hosts), no control characters.

#include <string>
#include <string_view>

#include "common/result.h"

namespace flare {

struct HttpUrl {
  bool https = false;
  std::string host;          // lower case; IPv6 without brackets
  int port = 0;              // explicit or the scheme's default
  std::string target = "/";  // path + query, never empty; fragment dropped

  /// "https://host:port" as cpp-httplib's Client wants it (IPv6 bracketed).
  std::string Origin() const;
  /// Origin() + target.
  std::string ToString() const;
};

/// Parses an absolute http:// or https:// URL.
Result<HttpUrl> ParseHttpUrl(std::string_view text);

/// The URL a Location header points to, relative to `base`.
Result<HttpUrl> ResolveLocation(const HttpUrl& base, std::string_view location);

}  // namespace flare

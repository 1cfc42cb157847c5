#include "common/http_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace flare {
namespace {

constexpr size_t kMaxUrlLength = 8192;

// The URL itself is not echoed: it may carry a password or a token.
Error BadUrl(std::string_view /*text*/, std::string_view why) {
  return InvalidRequest("is not a usable URL: " + std::string(why));
}

bool HasControlOrSpace(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

// Letters, digits, '-', '_', '.'; an IPv6 literal (bracketed) also ':' and '%' (zone).
bool ValidHost(std::string_view host, bool bracketed) {
  return std::all_of(host.begin(), host.end(), [bracketed](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.' ||
           (bracketed && (c == ':' || c == '%'));
  });
}

// "host", "host:port", "[v6]", "[v6]:port" → host and port.
Status ParseAuthority(std::string_view text, std::string_view authority, HttpUrl& url) {
  if (authority.find('@') != std::string_view::npos) {
    return BadUrl(text,
                  "user info (user:password@) is not allowed; send credentials in a header such "
                  "as Authorization");
  }
  std::string_view port_text;
  bool bracketed = !authority.empty() && authority.front() == '[';
  if (bracketed) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return BadUrl(text, "the IPv6 address lacks its closing ']'");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return BadUrl(text, "only ':port' may follow ']'");
    if (!rest.empty()) port_text = rest.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return BadUrl(text, "it names no host");
  if (!ValidHost(url.host, bracketed)) {
    return BadUrl(text,
                  "the host may hold only letters, digits, '-', '_', '.' (and ':' inside [ ]); "
                  "write international names in punycode (xn--...)");
  }
  std::transform(url.host.begin(), url.host.end(), url.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (port_text.empty()) return Ok{};
  auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), url.port);
  if (error != std::errc{} || end != port_text.data() + port_text.size() || url.port < 1 ||
      url.port > 65535) {
    return BadUrl(text, "the port must be a number from 1 to 65535");
  }
  return Ok{};
}

std::string_view StripFragment(std::string_view text) { return text.substr(0, text.find('#')); }

}  // namespace

std::string HttpUrl::Origin() const {
  bool v6 = host.find(':') != std::string::npos;
  return std::string(https ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

std::string HttpUrl::ToString() const { return Origin() + target; }

Result<HttpUrl> ParseHttpUrl(std::string_view text) {
  if (text.size() > kMaxUrlLength) return BadUrl(text, "it is longer than 8192 bytes");
  if (HasControlOrSpace(text)) {
    return BadUrl(text, "it contains spaces or control characters; percent-encode them");
  }
  HttpUrl url;
  size_t scheme_end = text.find("://");
  std::string scheme(text.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https")
    return BadUrl(text, "it must start with http:// or https://");
  url.https = scheme == "https";
  url.port = url.https ? 443 : 80;
  std::string_view rest = StripFragment(text.substr(scheme_end + 3));
  size_t path_start = rest.find_first_of("/?");
  Status authority = ParseAuthority(text, rest.substr(0, path_start), url);
  if (!authority.ok()) return authority.error();
  if (path_start != std::string_view::npos) {
    url.target = std::string(rest.substr(path_start));
    if (url.target.front() == '?') url.target = "/" + url.target;
  }
  return url;
}

Result<HttpUrl> ResolveLocation(const HttpUrl& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return ParseHttpUrl(location);
  if (location.substr(0, 2) == "//") {
    return ParseHttpUrl(std::string(base.https ? "https:" : "http:") + std::string(location));
  }
  std::string target;
  if (!location.empty() && location.front() == '/') {
    target = std::string(location);
  } else {
    // Relative to the directory of the current path (query dropped).
    std::string path = base.target.substr(0, base.target.find('?'));
    target = path.substr(0, path.rfind('/') + 1) + std::string(location);
  }
  return ParseHttpUrl(base.Origin() + target);
}

}  // namespace flare

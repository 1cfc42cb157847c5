#include "common/egress_ip.h"

#include <arpa/inet.h>

#include <vector>

namespace flare {
namespace {

constexpr size_t kMaxPartDigits = 32;  // longer parts cannot be a 32-bit number

int DigitValue(char c, int base) {
  int value = -1;
  if (c >= '0' && c <= '9') value = c - '0';
  if (c >= 'a' && c <= 'f') value = c - 'a' + 10;
  if (c >= 'A' && c <= 'F') value = c - 'A' + 10;
  return value < base ? value : -1;
}

// One inet_aton part: "0x1f" hex, "017" octal, "17" decimal.
std::optional<uint64_t> ParsePart(std::string_view part) {
  if (part.empty() || part.size() > kMaxPartDigits) return std::nullopt;
  int base = 10;
  if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    base = 16;
    part.remove_prefix(2);
    if (part.empty()) return 0;  // "0x" alone is zero to URL parsers
  } else if (part.size() >= 2 && part[0] == '0') {
    base = 8;
    part.remove_prefix(1);
  }
  uint64_t value = 0;
  for (char c : part) {
    int digit = DigitValue(c, base);
    if (digit < 0) return std::nullopt;
    value = value * base + digit;
    if (value > 0xffffffffULL) return std::nullopt;
  }
  return value;
}

std::vector<std::string_view> SplitDots(std::string_view text) {
  std::vector<std::string_view> parts;
  while (parts.size() <= 4) {  // a fifth part already means "not IPv4"
    size_t dot = text.find('.');
    parts.push_back(text.substr(0, dot));
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return parts;
}

}  // namespace

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress address;
  for (int i = 0; i < 4; ++i) address.bytes[i] = (host_order >> (24 - 8 * i)) & 0xff;
  return address;
}

std::string IpAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

std::optional<IpAddress> ParseIpv4Literal(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  std::vector<std::string_view> parts = SplitDots(text);
  if (parts.size() > 4) return std::nullopt;
  uint32_t address = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::optional<uint64_t> value = ParsePart(parts[i]);
    if (!value) return std::nullopt;
    bool last = i + 1 == parts.size();
    // The last part fills every byte not yet taken: "127.1" is 127.0.0.1.
    uint64_t limit = last ? (0xffffffffULL >> (8 * i)) : 0xff;
    if (*value > limit) return std::nullopt;
    address |= last ? static_cast<uint32_t>(*value) : static_cast<uint32_t>(*value) << (24 - 8 * i);
  }
  return IpAddress::V4(address);
}

std::optional<IpAddress> ParseIpv6Literal(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  // The zone id ("fe80::1%eth0") names an interface, not another address.
  text = text.substr(0, text.find('%'));
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string copy(text);
  IpAddress address;
  address.family = IpAddress::Family::kV6;
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) return std::nullopt;
  return address;
}

std::optional<IpAddress> ParseIpLiteral(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return ParseIpv6Literal(host);
  return ParseIpv4Literal(host);
}

}  // namespace flare

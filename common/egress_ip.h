#pragma once
// IP address literals as an attacker may spell them. A URL host such as
// "0x7f.1" or "2130706433" reaches 127.0.0.1 through inet_aton-style parsers,
// so the egress guard must read every such spelling before deciding.
// Hostnames that are not literals are the resolver's business.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flare {

/// An IPv4 or IPv6 address in network byte order (IPv4 uses bytes[0..3]).
struct IpAddress {
  enum class Family { kV4, kV6 };
  Family family = Family::kV4;
  std::array<uint8_t, 16> bytes{};

  static IpAddress V4(uint32_t host_order);
  bool is_v4() const { return family == Family::kV4; }
  /// 32 for IPv4, 128 for IPv6.
  int bit_length() const { return is_v4() ? 32 : 128; }
  /// Canonical text: "127.0.0.1", "::ffff:127.0.0.1", "fe80::1".
  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

/// Parses an IPv4 literal the way inet_aton and URL parsers do: 1-4 dot-separated
/// parts, each decimal, 0x-hex or 0-octal, the last part filling the remaining
/// bytes ("127.1", "0x7f000001", "017700000001", "0177.0.0.1"). A trailing dot is
/// allowed. Anything else is std::nullopt.
std::optional<IpAddress> ParseIpv4Literal(std::string_view text);

/// Parses an IPv6 literal, with or without brackets, with an optional zone id
/// ("%eth0" or URL-encoded "%25eth0", dropped).
std::optional<IpAddress> ParseIpv6Literal(std::string_view text);

/// Either of the above; std::nullopt means "a hostname, not a literal".
std::optional<IpAddress> ParseIpLiteral(std::string_view host);

}  // namespace flare

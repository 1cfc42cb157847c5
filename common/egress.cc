#include "common/egress.h"

#include <arpa/inet.h>

#include <charconv>

namespace flare {
namespace {

struct V4Range {
  uint32_t network;
  int prefix_length;
  AddressClass address_class;
};

// Order matters only where ranges nest: the first match wins.
constexpr V4Range kV4Ranges[] = {
    {0x00000000, 8, AddressClass::kUnspecified},  // 0.0.0.0/8 ("this network")
    {0x0a000000, 8, AddressClass::kPrivate},      // 10/8
    {0x64400000, 10, AddressClass::kCgnat},       // 100.64/10
    {0x7f000000, 8, AddressClass::kLoopback},     // 127/8
    {0xa9fe0000, 16, AddressClass::kLinkLocal},   // 169.254/16, incl. 169.254.169.254
    {0xac100000, 12, AddressClass::kPrivate},     // 172.16/12
    {0xc0000000, 24, AddressClass::kReserved},    // 192.0.0/24 IETF assignments
    {0xc0000200, 24, AddressClass::kReserved},    // 192.0.2/24 TEST-NET-1
    {0xc0a80000, 16, AddressClass::kPrivate},     // 192.168/16
    {0xc6120000, 15, AddressClass::kReserved},    // 198.18/15 benchmarking
    {0xc6336400, 24, AddressClass::kReserved},    // 198.51.100/24 TEST-NET-2
    {0xcb007100, 24, AddressClass::kReserved},    // 203.0.113/24 TEST-NET-3
    {0xe0000000, 4, AddressClass::kMulticast},    // 224/4
    {0xffffffff, 32, AddressClass::kBroadcast},   // 255.255.255.255
    {0xf0000000, 4, AddressClass::kReserved},     // 240/4
};

uint32_t V4Value(const IpAddress& address, int offset = 0) {
  const auto& b = address.bytes;
  return (uint32_t{b[offset]} << 24) | (uint32_t{b[offset + 1]} << 16) |
         (uint32_t{b[offset + 2]} << 8) | uint32_t{b[offset + 3]};
}

// True when the first `bits` bits of a and b agree.
bool PrefixMatches(const uint8_t* a, const uint8_t* b, int bits) {
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

bool HasV6Prefix(const IpAddress& address, std::initializer_list<uint8_t> prefix, int bits) {
  uint8_t full[16] = {};
  int i = 0;
  for (uint8_t byte : prefix) full[i++] = byte;
  return PrefixMatches(address.bytes.data(), full, bits);
}

AddressClass ClassifyV4(uint32_t value) {
  for (const V4Range& range : kV4Ranges) {
    uint32_t mask = range.prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - range.prefix_length);
    if ((value & mask) == range.network) return range.address_class;
  }
  return AddressClass::kPublic;
}

AddressClass ClassifyPlainV6(const IpAddress& address) {
  IpAddress loopback{IpAddress::Family::kV6, {}};
  loopback.bytes[15] = 1;
  if (address == IpAddress{IpAddress::Family::kV6, {}}) return AddressClass::kUnspecified;
  if (address == loopback) return AddressClass::kLoopback;
  if (HasV6Prefix(address, {0xff}, 8)) return AddressClass::kMulticast;
  if (HasV6Prefix(address, {0xfe, 0x80}, 10)) return AddressClass::kLinkLocal;
  if (HasV6Prefix(address, {0xfc}, 7)) return AddressClass::kPrivate;
  if (HasV6Prefix(address, {0xfe, 0xc0}, 10)) return AddressClass::kPrivate;  // site-local
  if (HasV6Prefix(address, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48)) {
    return AddressClass::kPrivate;  // local-use NAT64 (RFC 8215): never global
  }
  if (HasV6Prefix(address, {0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64)) return AddressClass::kReserved;
  if (HasV6Prefix(address, {0x20, 0x01, 0x0d, 0xb8}, 32)) return AddressClass::kReserved;
  // Whatever is left of ::/8 (e.g. ::2) is not routable either.
  if (HasV6Prefix(address, {0x00}, 8)) return AddressClass::kReserved;
  return AddressClass::kPublic;
}

std::string Opening(const IpAddress& address) {
  return "flared refuses private targets unless started with --allow-private-targets or "
         "--allow-target " +
         address.ToString() + (address.is_v4() ? "/32" : "/128");
}

}  // namespace

std::string_view AddressClassName(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kCgnat:
      return "carrier-grade NAT";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kBroadcast:
      return "broadcast";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "unknown";
}

std::optional<IpAddress> EmbeddedIpv4(const IpAddress& address) {
  if (address.is_v4()) return std::nullopt;
  bool mapped = HasV6Prefix(address, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96);
  bool translated = HasV6Prefix(address, {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}, 96);
  bool nat64 = HasV6Prefix(address, {0x00, 0x64, 0xff, 0x9b}, 96);
  // ::a.b.c.d (IPv4-compatible, deprecated); :: and ::1 are themselves.
  bool compatible = HasV6Prefix(address, {}, 96) && V4Value(address, 12) > 1;
  if (mapped || translated || nat64 || compatible) {
    return IpAddress::V4(V4Value(address, 12));
  }
  if (HasV6Prefix(address, {0x20, 0x02}, 16)) return IpAddress::V4(V4Value(address, 2));
  if (HasV6Prefix(address, {0x20, 0x01, 0x00, 0x00}, 32)) {
    // Teredo: the client's address is stored with every bit inverted.
    return IpAddress::V4(~V4Value(address, 12));
  }
  return std::nullopt;
}

AddressClass Classify(const IpAddress& address) {
  if (address.is_v4()) return ClassifyV4(V4Value(address));
  // The carried IPv4 address is where the packets really end up.
  if (std::optional<IpAddress> inner = EmbeddedIpv4(address)) return ClassifyV4(V4Value(*inner));
  return ClassifyPlainV6(address);
}

bool Cidr::Contains(const IpAddress& address) const {
  if (address.family != network.family) return false;
  return PrefixMatches(address.bytes.data(), network.bytes.data(), prefix_length);
}

std::string Cidr::ToString() const {
  return network.ToString() + "/" + std::to_string(prefix_length);
}

Result<Cidr> ParseCidr(std::string_view text) {
  size_t slash = text.find('/');
  std::string address_text(text.substr(0, slash));
  Cidr cidr;
  cidr.network.family =
      address_text.find(':') != std::string::npos ? IpAddress::Family::kV6 : IpAddress::Family::kV4;
  int family = cidr.network.is_v4() ? AF_INET : AF_INET6;
  // inet_pton, not ParseIpLiteral: a policy is written by the operator in plain notation.
  if (inet_pton(family, address_text.c_str(), cidr.network.bytes.data()) != 1) {
    return InvalidRequest("'" + std::string(text) + "' is not a CIDR block; use e.g. 10.0.0.0/8");
  }
  cidr.prefix_length = cidr.network.bit_length();
  if (slash != std::string_view::npos) {
    std::string_view length = text.substr(slash + 1);
    auto [end, error] =
        std::from_chars(length.data(), length.data() + length.size(), cidr.prefix_length);
    if (length.empty() || error != std::errc{} || end != length.data() + length.size() ||
        cidr.prefix_length < 0 || cidr.prefix_length > cidr.network.bit_length()) {
      return InvalidRequest("'" + std::string(text) + "' has a bad prefix length; use 0-" +
                            std::to_string(cidr.network.bit_length()));
    }
  }
  for (int bit = cidr.prefix_length; bit < cidr.network.bit_length(); ++bit) {
    cidr.network.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  return cidr;
}

Status CheckEgress(const IpAddress& address, const EgressPolicy& policy, std::string_view host) {
  AddressClass address_class = Classify(address);
  if (address_class == AddressClass::kPublic || policy.allow_private) return Ok{};
  std::optional<IpAddress> inner = EmbeddedIpv4(address);
  for (const Cidr& cidr : policy.allowed) {
    if (cidr.Contains(address) || (inner && cidr.Contains(*inner))) return Ok{};
  }
  std::string target = address.ToString();
  if (!host.empty() && host != target) target = std::string(host) + " (" + target + ")";
  std::string carried;
  if (inner && Classify(*inner) == address_class) {
    carried = " (it carries " + inner->ToString() + ")";
  }
  std::string_view name = AddressClassName(address_class);
  std::string article = name == "unspecified" ? "an " : "a ";
  return Error{ErrorCode::kForbidden,
               "target " + target + " is " + article + std::string(name) + " address" + carried +
                   "; " + Opening(address),
               ""};
}

}  // namespace flare

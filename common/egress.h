#pragma once
// The egress guard (SPEC §4): which addresses flared may send a job's HTTP
// request to. Pure classification, no I/O: the transport resolves the host
// once, asks CheckEgress about every address, and connects only to one it
// checked. IPv6 forms that carry an IPv4 address (mapped, compatible,
// translated, NAT64, 6to4, Teredo) are judged by the address they carry.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/egress_ip.h"
#include "common/result.h"

namespace flare {

enum class AddressClass {
  kPublic,
  kLoopback,     // 127/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, 64:ff9b:1::/48
  kLinkLocal,    // 169.254/16 (cloud metadata), fe80::/10
  kCgnat,        // 100.64/10 shared address space
  kMulticast,    // 224/4, ff00::/8
  kUnspecified,  // 0/8, ::
  kBroadcast,    // 255.255.255.255
  kReserved,     // 240/4, IETF/benchmark/documentation ranges, 100::/64, 2001:db8::/32
};

/// "loopback", "private", "link-local", "carrier-grade NAT", ...
std::string_view AddressClassName(AddressClass address_class);

/// The IPv4 address an IPv6 address carries (::ffff:a.b.c.d, ::a.b.c.d,
/// ::ffff:0:a.b.c.d, 64:ff9b::/96, 2002::/16, Teredo client), if any.
std::optional<IpAddress> EmbeddedIpv4(const IpAddress& address);

/// The class of an address; embedded IPv4 decides for IPv6 forms that carry one.
AddressClass Classify(const IpAddress& address);

/// An address block: "10.0.0.0/8", "fd00::/8"; a bare address is /32 or /128.
struct Cidr {
  IpAddress network;  // host bits cleared
  int prefix_length = 0;

  bool Contains(const IpAddress& address) const;
  /// "10.0.0.0/8".
  std::string ToString() const;
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

/// Parses "a.b.c.d/n" or "v6/n" (a bare address means a single host). The
/// address part must be a plain dotted quad or IPv6 text, not an exotic spelling.
Result<Cidr> ParseCidr(std::string_view text);

/// What flared was started with: --allow-private-targets, --allow-target CIDR...
struct EgressPolicy {
  bool allow_private = false;
  std::vector<Cidr> allowed;
};

/// Ok when `address` may be contacted; otherwise an Error naming the address,
/// its class and the flags that would open it. `host` (the name the user wrote)
/// is mentioned too when it differs from the address.
Status CheckEgress(const IpAddress& address, const EgressPolicy& policy,
                   std::string_view host = {});

}  // namespace flare

#include "common/egress.h"

#include <gtest/gtest.h>

namespace flare {
namespace {

struct NotationCase {
  const char* host;
  const char* canonical;  // nullptr: not a literal
  AddressClass address_class;
};

// Every spelling an attacker may try, its canonical form and its class.
const NotationCase kNotations[] = {
    {"127.0.0.1", "127.0.0.1", AddressClass::kLoopback},
    {"2130706433", "127.0.0.1", AddressClass::kLoopback},
    {"0x7f000001", "127.0.0.1", AddressClass::kLoopback},
    {"0X7F000001", "127.0.0.1", AddressClass::kLoopback},
    {"0x7f.0.0.1", "127.0.0.1", AddressClass::kLoopback},
    {"0x7f.0x0.0x0.0x1", "127.0.0.1", AddressClass::kLoopback},
    {"0177.0.0.1", "127.0.0.1", AddressClass::kLoopback},
    {"017700000001", "127.0.0.1", AddressClass::kLoopback},
    {"0177.0.0.01", "127.0.0.1", AddressClass::kLoopback},
    {"127.1", "127.0.0.1", AddressClass::kLoopback},
    {"127.0.1", "127.0.0.1", AddressClass::kLoopback},
    {"0x7f.1", "127.0.0.1", AddressClass::kLoopback},
    {"0177.0x0.1", "127.0.0.1", AddressClass::kLoopback},
    {"127.0.0.1.", "127.0.0.1", AddressClass::kLoopback},
    {"127.255.255.254", "127.255.255.254", AddressClass::kLoopback},
    {"10.1.2.3", "10.1.2.3", AddressClass::kPrivate},
    {"167772161", "10.0.0.1", AddressClass::kPrivate},
    {"172.16.0.1", "172.16.0.1", AddressClass::kPrivate},
    {"172.31.255.255", "172.31.255.255", AddressClass::kPrivate},
    {"172.32.0.1", "172.32.0.1", AddressClass::kPublic},
    {"192.168.1.1", "192.168.1.1", AddressClass::kPrivate},
    {"0xc0.0xa8.1.1", "192.168.1.1", AddressClass::kPrivate},
    {"169.254.169.254", "169.254.169.254", AddressClass::kLinkLocal},
    {"0xa9fea9fe", "169.254.169.254", AddressClass::kLinkLocal},
    {"2852039166", "169.254.169.254", AddressClass::kLinkLocal},
    {"169.254.43518", "169.254.169.254", AddressClass::kLinkLocal},
    {"100.64.0.1", "100.64.0.1", AddressClass::kCgnat},
    {"100.127.255.255", "100.127.255.255", AddressClass::kCgnat},
    {"100.128.0.1", "100.128.0.1", AddressClass::kPublic},
    {"224.0.0.1", "224.0.0.1", AddressClass::kMulticast},
    {"239.255.255.250", "239.255.255.250", AddressClass::kMulticast},
    {"0.0.0.0", "0.0.0.0", AddressClass::kUnspecified},
    {"0", "0.0.0.0", AddressClass::kUnspecified},
    {"0.1.2.3", "0.1.2.3", AddressClass::kUnspecified},
    {"255.255.255.255", "255.255.255.255", AddressClass::kBroadcast},
    {"4294967295", "255.255.255.255", AddressClass::kBroadcast},
    {"240.0.0.1", "240.0.0.1", AddressClass::kReserved},
    {"198.18.0.1", "198.18.0.1", AddressClass::kReserved},
    {"8.8.8.8", "8.8.8.8", AddressClass::kPublic},
    {"134744072", "8.8.8.8", AddressClass::kPublic},
    {"93.184.216.34", "93.184.216.34", AddressClass::kPublic},
    // IPv6 and IPv6 carrying IPv4.
    {"::1", "::1", AddressClass::kLoopback},
    {"[::1]", "::1", AddressClass::kLoopback},
    {"0:0:0:0:0:0:0:1", "::1", AddressClass::kLoopback},
    {"::", "::", AddressClass::kUnspecified},
    {"[::]", "::", AddressClass::kUnspecified},
    {"::ffff:127.0.0.1", "::ffff:127.0.0.1", AddressClass::kLoopback},
    {"[::ffff:127.0.0.1]", "::ffff:127.0.0.1", AddressClass::kLoopback},
    {"::ffff:7f00:1", "::ffff:127.0.0.1", AddressClass::kLoopback},
    {"::FFFF:7F00:0001", "::ffff:127.0.0.1", AddressClass::kLoopback},
    {"::ffff:169.254.169.254", "::ffff:169.254.169.254", AddressClass::kLinkLocal},
    {"::ffff:10.0.0.1", "::ffff:10.0.0.1", AddressClass::kPrivate},
    {"::ffff:8.8.8.8", "::ffff:8.8.8.8", AddressClass::kPublic},
    {"::127.0.0.1", "::127.0.0.1", AddressClass::kLoopback},
    {"::ffff:0:127.0.0.1", "::ffff:0:7f00:1", AddressClass::kLoopback},
    {"64:ff9b::127.0.0.1", "64:ff9b::7f00:1", AddressClass::kLoopback},
    {"64:ff9b::7f00:1", "64:ff9b::7f00:1", AddressClass::kLoopback},
    {"64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe", AddressClass::kLinkLocal},
    {"64:ff9b::808:808", "64:ff9b::808:808", AddressClass::kPublic},
    {"64:ff9b:1::808:808", "64:ff9b:1::808:808", AddressClass::kPrivate},
    {"2002:7f00:1::", "2002:7f00:1::", AddressClass::kLoopback},
    {"2002:c0a8:101::1", "2002:c0a8:101::1", AddressClass::kPrivate},
    {"2002:808:808::1", "2002:808:808::1", AddressClass::kPublic},
    {"2001:0:4136:e378:8000:63bf:80ff:fffe", "2001:0:4136:e378:8000:63bf:80ff:fffe",
     AddressClass::kLoopback},  // Teredo client 127.0.0.1 (inverted 80ff:fffe)
    {"fc00::1", "fc00::1", AddressClass::kPrivate},
    {"fd12:3456::1", "fd12:3456::1", AddressClass::kPrivate},
    {"fe80::1", "fe80::1", AddressClass::kLinkLocal},
    {"fe80::1%eth0", "fe80::1", AddressClass::kLinkLocal},
    {"[fe80::1%25eth0]", "fe80::1", AddressClass::kLinkLocal},
    {"febf::1", "febf::1", AddressClass::kLinkLocal},
    {"fec0::1", "fec0::1", AddressClass::kPrivate},
    {"ff02::1", "ff02::1", AddressClass::kMulticast},
    {"2001:db8::1", "2001:db8::1", AddressClass::kReserved},
    {"::2", "::2", AddressClass::kUnspecified},  // ::0.0.0.2, IPv4-compatible
    {"100::1", "100::1", AddressClass::kReserved},
    {"2606:4700:4700::1111", "2606:4700:4700::1111", AddressClass::kPublic},
    // Hostnames and junk are not literals: the resolver decides.
    {"localhost", nullptr, AddressClass::kPublic},
    {"example.com", nullptr, AddressClass::kPublic},
    {"127.0.0.1.nip.io", nullptr, AddressClass::kPublic},
    {"1.2.3.4.5", nullptr, AddressClass::kPublic},
    {"256.0.0.1", nullptr, AddressClass::kPublic},
    {"127.0.0.1..", nullptr, AddressClass::kPublic},
    {"4294967296", nullptr, AddressClass::kPublic},
    {"08.0.0.1", nullptr, AddressClass::kPublic},
    {"0x1g", nullptr, AddressClass::kPublic},
    {"127.16777216", nullptr, AddressClass::kPublic},
    {"", nullptr, AddressClass::kPublic},
    {"[::1", nullptr, AddressClass::kPublic},
    {":::1", nullptr, AddressClass::kPublic},
    {"99999999999999999999999999999999999999", nullptr, AddressClass::kPublic},
};

EgressPolicy OpenPolicy() {
  EgressPolicy policy;
  policy.allow_private = true;
  return policy;
}

TEST(Egress, ParsesAndClassifiesEveryNotation) {
  for (const NotationCase& c : kNotations) {
    SCOPED_TRACE(c.host);
    std::optional<IpAddress> address = ParseIpLiteral(c.host);
    if (c.canonical == nullptr) {
      EXPECT_FALSE(address.has_value()) << address->ToString();
      continue;
    }
    ASSERT_TRUE(address.has_value());
    EXPECT_EQ(address->ToString(), c.canonical);
    EXPECT_EQ(AddressClassName(Classify(*address)), AddressClassName(c.address_class));
  }
}

TEST(Egress, DefaultPolicyRefusesEveryNonPublicNotation) {
  for (const NotationCase& c : kNotations) {
    if (c.canonical == nullptr) continue;
    SCOPED_TRACE(c.host);
    Status verdict = CheckEgress(*ParseIpLiteral(c.host), EgressPolicy{});
    EXPECT_EQ(verdict.ok(), c.address_class == AddressClass::kPublic);
    Status opened = CheckEgress(*ParseIpLiteral(c.host), OpenPolicy());
    EXPECT_TRUE(opened.ok());
  }
}

TEST(Egress, RefusalNamesAddressClassAndFlags) {
  Status verdict = CheckEgress(*ParseIpLiteral("0x7f000001"), EgressPolicy{});
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.error().message,
            "target 127.0.0.1 is a loopback address; flared refuses private targets unless "
            "started with --allow-private-targets or --allow-target 127.0.0.1/32");
  EXPECT_EQ(verdict.error().code, ErrorCode::kForbidden);
}

TEST(Egress, RefusalMentionsHostAndEmbeddedAddress) {
  Status named = CheckEgress(*ParseIpLiteral("10.0.0.5"), EgressPolicy{}, "internal.example");
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.error().message.find("target internal.example (10.0.0.5) is a private address"),
            std::string::npos)
      << named.error().message;
  Status mapped = CheckEgress(*ParseIpLiteral("::ffff:169.254.169.254"), EgressPolicy{});
  ASSERT_FALSE(mapped.ok());
  EXPECT_NE(mapped.error().message.find("is a link-local address (it carries 169.254.169.254)"),
            std::string::npos)
      << mapped.error().message;
  EXPECT_NE(mapped.error().message.find("--allow-target ::ffff:169.254.169.254/128"),
            std::string::npos);
  Status zero = CheckEgress(*ParseIpLiteral("0.0.0.0"), EgressPolicy{});
  EXPECT_NE(zero.error().message.find("is an unspecified address"), std::string::npos);
}

TEST(Egress, ParsesCidrBlocks) {
  struct {
    const char* text;
    const char* canonical;
  } cases[] = {{"10.0.0.0/8", "10.0.0.0/8"},   {"10.1.2.3/8", "10.0.0.0/8"},
               {"127.0.0.1", "127.0.0.1/32"},  {"192.168.1.0/24", "192.168.1.0/24"},
               {"0.0.0.0/0", "0.0.0.0/0"},     {"172.16.5.4/12", "172.16.0.0/12"},
               {"fd00::/8", "fd00::/8"},       {"::1", "::1/128"},
               {"fe80::1234/10", "fe80::/10"}, {"::ffff:127.0.0.1/104", "::ffff:127.0.0.0/104"}};
  for (const auto& c : cases) {
    Result<Cidr> cidr = ParseCidr(c.text);
    ASSERT_TRUE(cidr.ok()) << c.text;
    EXPECT_EQ(cidr->ToString(), c.canonical);
  }
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x",
                          "fd00::/129", "0x7f000001/32", "127.1/32", "example.com/24", "10/8"}) {
    Result<Cidr> cidr = ParseCidr(bad);
    EXPECT_FALSE(cidr.ok()) << bad;
    if (!cidr.ok()) {
      EXPECT_EQ(cidr.error().code, ErrorCode::kInvalidRequest);
    }
  }
}

TEST(Egress, CidrMatchesOnlyItsFamilyAndPrefix) {
  Cidr block = *ParseCidr("172.16.0.0/12");
  EXPECT_TRUE(block.Contains(*ParseIpLiteral("172.16.0.1")));
  EXPECT_TRUE(block.Contains(*ParseIpLiteral("172.31.255.255")));
  EXPECT_FALSE(block.Contains(*ParseIpLiteral("172.32.0.0")));
  EXPECT_FALSE(block.Contains(*ParseIpLiteral("::ffff:172.16.0.1")));
  Cidr everything = *ParseCidr("0.0.0.0/0");
  EXPECT_TRUE(everything.Contains(*ParseIpLiteral("255.255.255.255")));
  Cidr v6 = *ParseCidr("fd00:1::/32");
  EXPECT_TRUE(v6.Contains(*ParseIpLiteral("fd00:1:ffff::1")));
  EXPECT_FALSE(v6.Contains(*ParseIpLiteral("fd00:2::1")));
  Cidr odd = *ParseCidr("10.0.0.0/9");
  EXPECT_TRUE(odd.Contains(*ParseIpLiteral("10.127.0.1")));
  EXPECT_FALSE(odd.Contains(*ParseIpLiteral("10.128.0.1")));
}

TEST(Egress, AllowTargetOpensOnlyItsBlock) {
  EgressPolicy policy{false, {*ParseCidr("127.0.0.1/32"), *ParseCidr("10.20.0.0/16")}};
  EXPECT_TRUE(CheckEgress(*ParseIpLiteral("127.0.0.1"), policy).ok());
  EXPECT_TRUE(CheckEgress(*ParseIpLiteral("0x7f000001"), policy).ok());
  EXPECT_FALSE(CheckEgress(*ParseIpLiteral("127.0.0.2"), policy).ok());
  EXPECT_TRUE(CheckEgress(*ParseIpLiteral("10.20.30.40"), policy).ok());
  EXPECT_FALSE(CheckEgress(*ParseIpLiteral("10.21.0.1"), policy).ok());
  EXPECT_FALSE(CheckEgress(*ParseIpLiteral("169.254.169.254"), policy).ok());
  // An IPv4 block also covers the IPv6 forms that carry its addresses.
  EXPECT_TRUE(CheckEgress(*ParseIpLiteral("::ffff:127.0.0.1"), policy).ok());
  EXPECT_FALSE(CheckEgress(*ParseIpLiteral("::1"), policy).ok());
  EgressPolicy v6{false, {*ParseCidr("fd00::/8")}};
  EXPECT_TRUE(CheckEgress(*ParseIpLiteral("fd00::5"), v6).ok());
  EXPECT_FALSE(CheckEgress(*ParseIpLiteral("fc00::5"), v6).ok());
}

TEST(Egress, EmbeddedIpv4OfEachForm) {
  auto embedded = [](const char* text) {
    std::optional<IpAddress> inner = EmbeddedIpv4(*ParseIpLiteral(text));
    return inner ? inner->ToString() : std::string("none");
  };
  EXPECT_EQ(embedded("::ffff:1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(embedded("::1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(embedded("::ffff:0:1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(embedded("64:ff9b::1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(embedded("2002:102:304::"), "1.2.3.4");
  EXPECT_EQ(embedded("2001:0:0:0:0:0:fefd:fcfb"), "1.2.3.4");
  EXPECT_EQ(embedded("::1"), "none");
  EXPECT_EQ(embedded("::"), "none");
  EXPECT_EQ(embedded("2606:4700::1"), "none");
  EXPECT_EQ(embedded("1.2.3.4"), "none");
}

}  // namespace
}  // namespace flare

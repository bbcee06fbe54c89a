// The WHATWG host rules for IP literals. Each verdict below is what Node 20's `new URL()` (the
// sidecar's parser) says about the URL, so the injector admits exactly what the sidecar will accept.
#include "url_host.h"
#include "value_rules.h"

#include <gtest/gtest.h>

namespace injector {
namespace {

struct UrlVerdict {
  const char* url;
  bool valid;
};

TEST(UrlHost, AgreesWithNodeOnIpv4LookingHosts) {
  const UrlVerdict kCases[] = {
      {"https://1.2.3.4/", true},
      {"https://1.2.3.4./", true},          // one trailing dot is dropped
      {"https://1.2.3.4../", true},         // two are not: the last label is empty, so a domain name
      {"https://10.0.0.1.example.com/", true},
      {"https://123.example/", true},
      {"https://1.2.3.4a/", true},
      {"https://0xg/", true},               // not a hex number, so a domain name
      {"https://a.0x1g/", true},
      {"https://010.0.0.1/", true},         // octal: 8.0.0.1
      {"https://0x7f.1/", true},            // 127.0.0.1
      {"https://0X1.2.3.4/", true},
      {"https://0x/", true},                // "0x" alone is 0
      {"https://1.2.3.0x/", true},
      {"https://1.256/", true},             // the last number fills the remaining three bytes
      {"https://1.16777215/", true},
      {"https://4294967295/", true},
      {"https://0xffffffff/", true},
      {"https://00000000000000000000000001/", true},
      {"https://0x00000000000000000000000001/", true},
      {"https://./", true},
      {"https://999.1.1.1/", false},
      {"https://1.2.3.4.5/", false},
      {"https://256.256.256.256/", false},
      {"https://example.123/", false},
      {"https://a.0x1/", false},
      {"https://08/", false},               // 8 is no octal digit
      {"https://1.08/", false},
      {"https://1..2/", false},
      {"https://.1.2.3.4/", false},
      {"https://4294967296/", false},
      {"https://0x100000000/", false},
      {"https://1.16777216/", false},
      {"https://99999999999999999999999/", false},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(CheckValue("outputUrl", c.url)->valid, c.valid) << c.url;
  }
}

TEST(UrlHost, AgreesWithNodeOnIpv6Literals) {
  const UrlVerdict kCases[] = {
      {"https://[::1]:8443/x", true},
      {"https://[::]/", true},
      {"https://[1::]/", true},
      {"https://[::1]:/", true},
      {"https://[1:2:3:4:5:6:7:8]/", true},
      {"https://[1:2:3:4:5:6:7::]/", true},
      {"https://[::1:2:3:4:5:6:7]/", true},
      {"https://[::ffff:1.2.3.4]/", true},
      {"https://[::1.2.3.4]/", true},
      {"https://[1:2:3:4:5:6:1.2.3.4]/", true},
      {"https://[2001:DB8::A]/", true},
      {"https://[1:2:3]/", false},
      {"https://[]/", false},
      {"https://[1:2:3:4:5:6:7:8:9]/", false},
      {"https://[1:2:3:4:5:6:7:8::]/", false},
      {"https://[::1:2:3:4:5:6:7:8]/", false},
      {"https://[1::2::3]/", false},
      {"https://[:::]/", false},
      {"https://[12345::]/", false},
      {"https://[:1]/", false},
      {"https://[1:]/", false},
      {"https://[::1:]/", false},
      {"https://[0:0:0:0:0:0:0:0:]/", false},
      {"https://[fe80::1%25eth0]/", false},
      {"https://[::g]/", false},
      {"https://[::1]x/", false},
      {"https://[::ffff:1.2.3.04]/", false},  // no leading zeros inside IPv6
      {"https://[::1.2.3]/", false},
      {"https://[::1.2.3.4.5]/", false},
      {"https://[::256.1.1.1]/", false},
      {"https://[::ffff:1.2.3.4:5]/", false},
      {"https://[1:2:3:4:5:6:7:1.2.3.4]/", false},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(CheckValue("outputUrl", c.url)->valid, c.valid) << c.url;
  }
}

TEST(UrlHost, EndsInNumberLooksOnlyAtTheLastLabel) {
  EXPECT_TRUE(EndsInNumber("a.1"));
  EXPECT_TRUE(EndsInNumber("a.1."));
  EXPECT_TRUE(EndsInNumber("a.0X"));
  EXPECT_FALSE(EndsInNumber("1.a"));
  EXPECT_FALSE(EndsInNumber("1.2.."));
  EXPECT_FALSE(EndsInNumber("."));
  EXPECT_FALSE(EndsInNumber("0x1g"));
}

TEST(UrlHost, Ipv4LastNumberFillsTheRemainingBytes) {
  EXPECT_TRUE(IsValidIpv4Host("1.2.65535"));
  EXPECT_FALSE(IsValidIpv4Host("1.2.65536"));
  EXPECT_TRUE(IsValidIpv4Host("1.2.3.255"));
  EXPECT_FALSE(IsValidIpv4Host("1.2.3.256"));
  EXPECT_FALSE(IsValidIpv4Host("256.1"));
}

}  // namespace
}  // namespace injector

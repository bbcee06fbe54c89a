#include "capture_filter.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include "packet_decoder.h"
#include "test_support.h"

namespace capture_shim {
namespace {

using namespace capture_shim::testing;

// Compiles `text` for `link` and runs it over `frame` with libpcap's own BPF interpreter.
bool Matches(int link, const std::string& text, const Bytes& frame) {
  pcap_t* dead = pcap_open_dead(link, 262144);
  bpf_program prog;
  EXPECT_EQ(pcap_compile(dead, &prog, text.c_str(), 1, PCAP_NETMASK_UNKNOWN), 0)
      << pcap_geterr(dead) << " in " << text;
  pcap_pkthdr h{};
  h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
  bool match = pcap_offline_filter(&prog, &h, frame.data()) != 0;
  pcap_freecode(&prog);
  pcap_close(dead);
  return match;
}

TcpSpec To(uint16_t port) {
  TcpSpec t;
  t.dport = port;
  t.payload = "x";
  return t;
}

TEST(CaptureFilter, MatchesThePortsUntaggedAndVlanTagged) {
  std::string f = BuildCaptureFilter({80, 8080}, kLinkEthernet);
  EXPECT_TRUE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(8080))), 0x0800)));
  EXPECT_TRUE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(80))), 0x0800, {0x8100})));
  EXPECT_TRUE(Matches(kLinkEthernet, f, Ethernet(Ipv6(TcpBytes(To(80))), 0x86DD, {0x8100})));
  EXPECT_FALSE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(443))), 0x0800)));
  EXPECT_FALSE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(443))), 0x0800, {0x8100})));
  EXPECT_FALSE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(80)), 17), 0x0800)));  // UDP
}

TEST(CaptureFilter, LetsIpv6ExtensionHeadersThroughForTheShimToJudge) {
  std::string f = BuildCaptureFilter({80}, kLinkEthernet);
  Bytes behind_hop_by_hop = Ethernet(Ipv6(TcpBytes(To(80)), {{0, Bytes(6, 0)}}), 0x86DD);
  EXPECT_TRUE(Matches(kLinkEthernet, f, behind_hop_by_hop));
  // ...and the decoder finds the TCP segment behind it.
  TcpSegment s;
  ASSERT_EQ(DecodeFrame(kLinkEthernet, behind_hop_by_hop.data(), behind_hop_by_hop.size(),
                        behind_hop_by_hop.size(), &s),
            DecodeStatus::kTcp);
  EXPECT_EQ(s.dst_port, 80);
  EXPECT_FALSE(Matches(kLinkEthernet, f, Ethernet(Ipv6(Bytes(8, 0), {}, 17), 0x86DD)));  // UDP
}

TEST(CaptureFilter, CookedLinksGetNoVlanClause) {
  std::string f = BuildCaptureFilter({80}, kLinkLinuxSll2);
  EXPECT_EQ(f.find("vlan"), std::string::npos);
  Bytes frame = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  Append(frame, Ipv4(TcpBytes(To(80))));
  EXPECT_TRUE(Matches(kLinkLinuxSll2, f, frame));
}

TEST(CaptureFilter, NoPortsMeansEveryTcpPacket) {
  std::string f = BuildCaptureFilter({}, kLinkEthernet);
  EXPECT_TRUE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(12345))), 0x0800)));
  EXPECT_FALSE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(12345)), 17), 0x0800)));
}

}  // namespace
}  // namespace capture_shim

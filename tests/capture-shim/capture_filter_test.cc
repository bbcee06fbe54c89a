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
  std::string f = BuildCaptureFilter({80, 8080}, kLinkEthernet, 0);
  EXPECT_TRUE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(8080))), 0x0800)));
  EXPECT_TRUE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(80))), 0x0800, {0x8100})));
  EXPECT_TRUE(Matches(kLinkEthernet, f, Ethernet(Ipv6(TcpBytes(To(80))), 0x86DD, {0x8100})));
  EXPECT_FALSE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(443))), 0x0800)));
  EXPECT_FALSE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(443))), 0x0800, {0x8100})));
  EXPECT_FALSE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(80)), 17), 0x0800)));  // UDP
}

TEST(CaptureFilter, LetsIpv6ExtensionHeadersThroughForTheShimToJudge) {
  std::string f = BuildCaptureFilter({80}, kLinkEthernet, 0);
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
  std::string f = BuildCaptureFilter({80}, kLinkLinuxSll2, 0);
  EXPECT_EQ(f.find("vlan"), std::string::npos);
  Bytes frame = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  Append(frame, Ipv4(TcpBytes(To(80))));
  EXPECT_TRUE(Matches(kLinkLinuxSll2, f, frame));
}

// A cooked v2 frame of `payload` (IPv4) as the `any` device captures it on interface `ifindex`.
Bytes CookedV2(uint32_t ifindex, uint8_t packet_type, const Bytes& payload) {
  Bytes frame = {0x08, 0x00, 0, 0,
                 static_cast<uint8_t>(ifindex >> 24), static_cast<uint8_t>(ifindex >> 16),
                 static_cast<uint8_t>(ifindex >> 8), static_cast<uint8_t>(ifindex),
                 0, 1, packet_type, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  Append(frame, payload);
  return frame;
}

TEST(CaptureFilter, OnAnyOnlyTheLoopbacksOutgoingTwinIsRejected) {
  constexpr uint8_t kHost = 0, kOutgoing = 4;  // the kernel's PACKET_HOST, PACKET_OUTGOING
  std::string f = BuildCaptureFilter({80}, kLinkLinuxSll2, 1);
  EXPECT_FALSE(Matches(kLinkLinuxSll2, f, CookedV2(1, kOutgoing, Ipv4(TcpBytes(To(80))))));
  EXPECT_TRUE(Matches(kLinkLinuxSll2, f, CookedV2(1, kHost, Ipv4(TcpBytes(To(80))))));
  // Another interface's packets, sent or received, are the only copy.
  EXPECT_TRUE(Matches(kLinkLinuxSll2, f, CookedV2(7, kOutgoing, Ipv4(TcpBytes(To(80))))));
  EXPECT_TRUE(Matches(kLinkLinuxSll2, f, CookedV2(7, kHost, Ipv4(TcpBytes(To(80))))));
  EXPECT_FALSE(Matches(kLinkLinuxSll2, f, CookedV2(7, kHost, Ipv4(TcpBytes(To(443))))));
  // Without a loopback index (none found) nothing is rejected for its interface.
  std::string plain = BuildCaptureFilter({80}, kLinkLinuxSll2, 0);
  EXPECT_TRUE(Matches(kLinkLinuxSll2, plain, CookedV2(1, kOutgoing, Ipv4(TcpBytes(To(80))))));
}

TEST(CaptureFilter, NoPortsMeansEveryTcpPacket) {
  std::string f = BuildCaptureFilter({}, kLinkEthernet, 0);
  EXPECT_TRUE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(12345))), 0x0800)));
  EXPECT_FALSE(Matches(kLinkEthernet, f, Ethernet(Ipv4(TcpBytes(To(12345)), 17), 0x0800)));
}

}  // namespace
}  // namespace capture_shim

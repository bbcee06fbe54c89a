#include "packet_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "test_support.h"

namespace capture_shim {
namespace {

using namespace capture_shim::testing;

TcpSpec Http() {
  TcpSpec t;
  t.sport = 40000;
  t.dport = 8080;
  t.seq = 0xfffffff0;
  t.ack = 77;
  t.flags = kTcpAck | kTcpPsh;
  t.payload = "GET / HTTP/1.1\r\n\r\n";
  return t;
}

void ExpectHttpSegment(const TcpSegment& s, uint8_t version) {
  EXPECT_EQ(s.ip_version, version);
  EXPECT_EQ(s.src_port, 40000);
  EXPECT_EQ(s.dst_port, 8080);
  EXPECT_EQ(s.seq, 0xfffffff0u);
  EXPECT_EQ(s.ack, 77u);
  EXPECT_EQ(s.flags, kTcpAck | kTcpPsh);
  ASSERT_EQ(s.payload_len, 18u);
  EXPECT_EQ(s.wire_len, 18u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s.payload), s.payload_len),
            "GET / HTTP/1.1\r\n\r\n");
}

// Decodes a copy that lives until the next call, so `s->payload` stays valid for the checks.
DecodeStatus Decode(int link, const Bytes& frame, TcpSegment* s) {
  static Bytes kept;
  kept = frame;
  return DecodeFrame(link, kept.data(), kept.size(), kept.size(), s);
}

TEST(PacketDecoder, EthernetIpv4) {
  TcpSegment s;
  ASSERT_EQ(Decode(kLinkEthernet, Ethernet(Ipv4(TcpBytes(Http())), 0x0800), &s), DecodeStatus::kTcp);
  ExpectHttpSegment(s, 4);
  EXPECT_EQ(0, std::memcmp(s.src_addr, "\x0a\x00\x00\x01", 4));
  EXPECT_EQ(0, std::memcmp(s.dst_addr, "\x0a\x00\x00\x02", 4));
  for (int i = 4; i < 16; ++i) EXPECT_EQ(s.src_addr[i], 0);
}

TEST(PacketDecoder, EthernetVlanAndQinQ) {
  TcpSegment s;
  ASSERT_EQ(Decode(kLinkEthernet, Ethernet(Ipv4(TcpBytes(Http())), 0x0800, {0x8100}), &s),
            DecodeStatus::kTcp);
  ExpectHttpSegment(s, 4);
  ASSERT_EQ(Decode(kLinkEthernet, Ethernet(Ipv6(TcpBytes(Http())), 0x86DD, {0x88A8, 0x8100}), &s),
            DecodeStatus::kTcp);
  ExpectHttpSegment(s, 6);
  // Five stacked tags is not a network, it is garbage.
  EXPECT_EQ(Decode(kLinkEthernet,
                   Ethernet(Ipv4(TcpBytes(Http())), 0x0800, {0x8100, 0x8100, 0x8100, 0x8100, 0x8100}),
                   &s),
            DecodeStatus::kMalformed);
}

TEST(PacketDecoder, EthernetPaddingIsNotPayload) {
  TcpSpec t = Http();
  t.payload = "";
  Bytes frame = Ethernet(Ipv4(TcpBytes(t)), 0x0800);
  frame.resize(60, 0xAA);  // minimum Ethernet frame: padding after the IP packet
  TcpSegment s;
  ASSERT_EQ(Decode(kLinkEthernet, frame, &s), DecodeStatus::kTcp);
  EXPECT_EQ(s.payload_len, 0u);
  EXPECT_EQ(s.wire_len, 0u);
}

TEST(PacketDecoder, NotTcpIsCountedApart) {
  TcpSegment s;
  EXPECT_EQ(Decode(kLinkEthernet, Ethernet(Ipv4(TcpBytes(Http()), 17), 0x0800), &s),
            DecodeStatus::kNotTcp);
  EXPECT_EQ(Decode(kLinkEthernet, Ethernet(Bytes(28, 0), 0x0806), &s), DecodeStatus::kNotTcp);  // ARP
  EXPECT_EQ(Decode(kLinkEthernet, Ethernet(Ipv6(Bytes(8, 0), {}, 58), 0x86DD), &s),
            DecodeStatus::kNotTcp);  // ICMPv6
}

TEST(PacketDecoder, LinuxCookedV1) {
  Bytes frame = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
  Append(frame, Ipv4(TcpBytes(Http())));
  TcpSegment s;
  ASSERT_EQ(Decode(kLinkLinuxSll, frame, &s), DecodeStatus::kTcp);
  ExpectHttpSegment(s, 4);
}

TEST(PacketDecoder, LinuxCookedV2) {
  Bytes frame = {0x86, 0xDD, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  Append(frame, Ipv6(TcpBytes(Http())));
  TcpSegment s;
  ASSERT_EQ(Decode(kLinkLinuxSll2, frame, &s), DecodeStatus::kTcp);
  ExpectHttpSegment(s, 6);
  EXPECT_EQ(s.src_addr[0], 0xfd);
  EXPECT_EQ(s.src_addr[15], 1);
  EXPECT_EQ(s.dst_addr[15], 2);
}

TEST(PacketDecoder, LinuxCookedV2WithVlanTagInPayload) {
  Bytes frame = {0x81, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  Append(frame, {0, 100, 0x08, 0x00});
  Append(frame, Ipv4(TcpBytes(Http())));
  TcpSegment s;
  ASSERT_EQ(Decode(kLinkLinuxSll2, frame, &s), DecodeStatus::kTcp);
  ExpectHttpSegment(s, 4);
}

TEST(PacketDecoder, NullAndLoopInBothByteOrders) {
  TcpSegment s;
  Bytes ip4 = Ipv4(TcpBytes(Http()));
  Bytes ip6 = Ipv6(TcpBytes(Http()));
  for (int link : {kLinkNull, kLinkLoop}) {
    Bytes le = {2, 0, 0, 0};
    Append(le, ip4);
    ASSERT_EQ(Decode(link, le, &s), DecodeStatus::kTcp) << link;
    ExpectHttpSegment(s, 4);
    Bytes be = {0, 0, 0, 2};
    Append(be, ip4);
    ASSERT_EQ(Decode(link, be, &s), DecodeStatus::kTcp) << link;
    ExpectHttpSegment(s, 4);
    for (uint8_t af6 : {10, 24, 28, 30}) {
      Bytes le6 = {af6, 0, 0, 0};
      Append(le6, ip6);
      ASSERT_EQ(Decode(link, le6, &s), DecodeStatus::kTcp) << int(af6);
      ExpectHttpSegment(s, 6);
      Bytes be6 = {0, 0, 0, af6};
      Append(be6, ip6);
      ASSERT_EQ(Decode(link, be6, &s), DecodeStatus::kTcp) << int(af6);
    }
    Bytes other = {7, 0, 0, 0};
    Append(other, ip4);
    EXPECT_EQ(Decode(link, other, &s), DecodeStatus::kNotTcp);
  }
}

TEST(PacketDecoder, RawIpByVersionNibbleAndFixedVersionLinks) {
  TcpSegment s;
  for (int link : {kLinkRaw, kLinkRawBsd, kLinkRawFile}) {
    ASSERT_EQ(Decode(link, Ipv4(TcpBytes(Http())), &s), DecodeStatus::kTcp);
    ExpectHttpSegment(s, 4);
    ASSERT_EQ(Decode(link, Ipv6(TcpBytes(Http())), &s), DecodeStatus::kTcp);
    ExpectHttpSegment(s, 6);
  }
  ASSERT_EQ(Decode(kLinkIpv4, Ipv4(TcpBytes(Http())), &s), DecodeStatus::kTcp);
  ASSERT_EQ(Decode(kLinkIpv6, Ipv6(TcpBytes(Http())), &s), DecodeStatus::kTcp);
  // The link type fixes the version: an IPv6 packet on an IPv4 link is malformed.
  EXPECT_EQ(Decode(kLinkIpv4, Ipv6(TcpBytes(Http())), &s), DecodeStatus::kMalformed);
  EXPECT_EQ(Decode(kLinkRaw, Bytes{0x50, 0, 0, 0}, &s), DecodeStatus::kMalformed);
}

TEST(PacketDecoder, UnsupportedLinkType) {
  TcpSegment s;
  EXPECT_FALSE(IsSupportedLinkType(105));  // 802.11
  EXPECT_EQ(Decode(105, Ipv4(TcpBytes(Http())), &s), DecodeStatus::kUnsupportedLink);
}

TEST(PacketDecoder, Ipv4OptionsAndTcpOptionsAreSkipped) {
  TcpSpec t = Http();
  t.option_bytes = 12;
  TcpSegment s;
  ASSERT_EQ(Decode(kLinkRaw, Ipv4(TcpBytes(t), 6, {10, 0, 0, 1}, {10, 0, 0, 2}, 8), &s),
            DecodeStatus::kTcp);
  ExpectHttpSegment(s, 4);
}

TEST(PacketDecoder, Ipv4FragmentsAreSkipped) {
  TcpSegment s;
  Bytes l4 = TcpBytes(Http());
  EXPECT_EQ(Decode(kLinkRaw, Ipv4(l4, 6, {10, 0, 0, 1}, {10, 0, 0, 2}, 0, 0x2000), &s),
            DecodeStatus::kFragment);  // more fragments
  EXPECT_EQ(Decode(kLinkRaw, Ipv4(l4, 6, {10, 0, 0, 1}, {10, 0, 0, 2}, 0, 0x0010), &s),
            DecodeStatus::kFragment);  // a later fragment
}

TEST(PacketDecoder, Ipv6ExtensionHeadersAreWalked) {
  TcpSegment s;
  Bytes l4 = TcpBytes(Http());
  std::vector<Ext> chain = {
      {0, Bytes(6, 0)},            // hop-by-hop, 8 bytes
      {43, Bytes(22, 0)},          // routing, 24 bytes
      {44, Bytes{0, 0, 0, 0, 0, 1}},  // atomic fragment: offset 0, no more fragments
      {51, Bytes(14, 0)},          // AH, 16 bytes
      {60, Bytes(6, 0)},           // destination options
  };
  ASSERT_EQ(Decode(kLinkRaw, Ipv6(l4, chain), &s), DecodeStatus::kTcp);
  ExpectHttpSegment(s, 6);
  // A real fragment is skipped.
  EXPECT_EQ(Decode(kLinkRaw, Ipv6(l4, {{44, Bytes{0, 1, 0, 0, 0, 1}}}), &s), DecodeStatus::kFragment);
  EXPECT_EQ(Decode(kLinkRaw, Ipv6(l4, {{44, Bytes{0, 8, 0, 0, 0, 1}}}), &s), DecodeStatus::kFragment);
  // ESP hides what follows: not TCP as far as we can tell.
  EXPECT_EQ(Decode(kLinkRaw, Ipv6(l4, {}, 50), &s), DecodeStatus::kNotTcp);
  // More extension headers than any stack builds.
  std::vector<Ext> endless(12, Ext{60, Bytes(6, 0)});
  EXPECT_EQ(Decode(kLinkRaw, Ipv6(l4, endless), &s), DecodeStatus::kMalformed);
}

TEST(PacketDecoder, SnapLengthCutKeepsTheWireLength) {
  Bytes frame = Ethernet(Ipv4(TcpBytes(Http())), 0x0800);
  TcpSegment s;
  size_t caplen = frame.size() - 10;
  ASSERT_EQ(DecodeFrame(kLinkEthernet, frame.data(), caplen, frame.size(), &s), DecodeStatus::kTcp);
  EXPECT_EQ(s.payload_len, 8u);
  EXPECT_EQ(s.wire_len, 18u);
}

TEST(PacketDecoder, EveryTruncationIsMalformedNeverARead) {
  // Each prefix of each frame, told that it is the whole frame, must decode as malformed (or, for
  // prefixes that keep the headers, as TCP): never read past the end. Run under AddressSanitizer.
  std::vector<std::pair<int, Bytes>> frames = {
      {kLinkEthernet, Ethernet(Ipv4(TcpBytes(Http())), 0x0800, {0x8100})},
      {kLinkEthernet, Ethernet(Ipv6(TcpBytes(Http()), {{0, Bytes(6, 0)}, {44, Bytes(6, 0)}}), 0x86DD)},
      {kLinkLinuxSll2, [] {
         Bytes f = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0};
         Append(f, Ipv4(TcpBytes(Http())));
         return f;
       }()},
      {kLinkNull, [] {
         Bytes f = {2, 0, 0, 0};
         Append(f, Ipv4(TcpBytes(Http())));
         return f;
       }()},
  };
  for (auto& [link, frame] : frames) {
    for (size_t n = 0; n < frame.size(); ++n) {
      // A heap copy of exactly n bytes, so ASan sees any overread.
      std::unique_ptr<uint8_t[]> copy(new uint8_t[n == 0 ? 1 : n]);
      std::memcpy(copy.get(), frame.data(), n);
      TcpSegment s;
      DecodeStatus st = DecodeFrame(link, n == 0 ? nullptr : copy.get(), n, n, &s);
      EXPECT_EQ(st, DecodeStatus::kMalformed) << "link " << link << " length " << n;
    }
  }
}

TEST(PacketDecoder, AbsurdLengthsAreMalformed) {
  TcpSegment s;
  Bytes ip = Ipv4(TcpBytes(Http()));
  Bytes longer = ip;
  longer[2] = 0xFF;  // total length past the frame, and the frame was not cut by the snap length
  EXPECT_EQ(Decode(kLinkRaw, longer, &s), DecodeStatus::kMalformed);
  // ...nor can the snap length explain more than the wire carried.
  EXPECT_EQ(DecodeFrame(kLinkRaw, longer.data(), longer.size(), longer.size() + 4, &s),
            DecodeStatus::kMalformed);
  Bytes short_total = ip;
  short_total[2] = 0;
  short_total[3] = 19;  // shorter than the header
  EXPECT_EQ(Decode(kLinkRaw, short_total, &s), DecodeStatus::kMalformed);
  Bytes tiny_ihl = ip;
  tiny_ihl[0] = 0x44;
  EXPECT_EQ(Decode(kLinkRaw, tiny_ihl, &s), DecodeStatus::kMalformed);
  Bytes huge_ihl = ip;
  huge_ihl[0] = 0x4F;  // 60-byte header claims options the packet does not have
  huge_ihl[3] = 40;
  EXPECT_EQ(Decode(kLinkRaw, Bytes(huge_ihl.begin(), huge_ihl.begin() + 40), &s),
            DecodeStatus::kMalformed);
  Bytes bad_offset = ip;
  bad_offset[20 + 12] = 0x30;  // TCP data offset 12 bytes: less than the header
  EXPECT_EQ(Decode(kLinkRaw, bad_offset, &s), DecodeStatus::kMalformed);
  Bytes past_offset = ip;
  past_offset[20 + 12] = 0xF0;  // 60 bytes: past the segment
  past_offset.resize(20 + 40);
  past_offset[2] = 0;
  past_offset[3] = 60;
  EXPECT_EQ(Decode(kLinkRaw, past_offset, &s), DecodeStatus::kMalformed);
  Bytes ip6 = Ipv6(TcpBytes(Http()));
  ip6[4] = ip6[5] = 0;  // jumbogram
  EXPECT_EQ(Decode(kLinkRaw, ip6, &s), DecodeStatus::kMalformed);
  Bytes ext = Ipv6(TcpBytes(Http()), {{0, Bytes(6, 0)}});
  ext[41] = 200;  // hop-by-hop length past the packet
  EXPECT_EQ(Decode(kLinkRaw, ext, &s), DecodeStatus::kMalformed);
}

TEST(PacketDecoder, ASynsWindowScaleOptionAndTheWindowAreRead) {
  TcpSpec t = Http();
  t.flags = kTcpSyn;
  t.payload = "";
  t.option_bytes = 8;
  Bytes tcp = TcpBytes(t);
  const uint8_t options[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7};  // MSS 1460, NOP, window scale 7
  std::copy(options, options + 8, tcp.begin() + 20);
  TcpSegment s;
  ASSERT_EQ(Decode(kLinkRaw, Ipv4(tcp), &s), DecodeStatus::kTcp);
  EXPECT_EQ(s.window, 65535);
  EXPECT_EQ(s.window_scale, 7);
  tcp[20 + 7] = 15;  // RFC 7323: read as 14
  ASSERT_EQ(Decode(kLinkRaw, Ipv4(tcp), &s), DecodeStatus::kTcp);
  EXPECT_EQ(s.window_scale, 14);
  tcp[13] = kTcpAck;  // not a SYN: the option means nothing there
  ASSERT_EQ(Decode(kLinkRaw, Ipv4(tcp), &s), DecodeStatus::kTcp);
  EXPECT_EQ(s.window_scale, -1);
  tcp[13] = kTcpSyn;
  tcp[20 + 1] = 0;  // a broken option list: nothing after the break is believed
  ASSERT_EQ(Decode(kLinkRaw, Ipv4(tcp), &s), DecodeStatus::kTcp);
  EXPECT_EQ(s.window_scale, -1);
  t.option_bytes = 0;
  ASSERT_EQ(Decode(kLinkRaw, Ipv4(TcpBytes(t)), &s), DecodeStatus::kTcp);
  EXPECT_EQ(s.window_scale, -1);
}

// Linux hands the capture GSO packets longer than 64 KiB (BIG TCP) with the IP length field 0; they
// are read at the capture header's length, as tcpdump and Wireshark read them.
TEST(PacketDecoder, BigTcpPacketsWithLengthZeroTakeTheCapturedLength) {
  TcpSpec t = Http();
  t.payload = std::string(70000, 'b');
  Bytes frame = Ethernet(Ipv4(TcpBytes(t)), 0x0800);
  frame[14 + 2] = frame[14 + 3] = 0;
  TcpSegment s;
  ASSERT_EQ(Decode(kLinkEthernet, frame, &s), DecodeStatus::kTcp);
  EXPECT_EQ(s.payload_len, 70000u);
  EXPECT_EQ(s.wire_len, 70000u);
  EXPECT_EQ(s.seq, 0xfffffff0u);
  // Cut by the snap length: what was captured, and the wire length from the capture header.
  ASSERT_EQ(DecodeFrame(kLinkEthernet, frame.data(), 1514, frame.size(), &s), DecodeStatus::kTcp);
  EXPECT_EQ(s.payload_len, 1514u - 54);
  EXPECT_EQ(s.wire_len, 70000u);
  // IPv6 does the same with its payload length.
  Bytes frame6 = Ethernet(Ipv6(TcpBytes(t)), 0x86DD);
  frame6[14 + 4] = frame6[14 + 5] = 0;
  ASSERT_EQ(Decode(kLinkEthernet, frame6, &s), DecodeStatus::kTcp);
  EXPECT_EQ(s.payload_len, 70000u);
  // A length of 0 on a packet the field could describe is no GSO packet: Ethernet padding must not
  // become payload.
  Bytes small = Ethernet(Ipv4(TcpBytes(Http())), 0x0800);
  small.resize(small.size() + 6, 0);
  small[14 + 2] = small[14 + 3] = 0;
  EXPECT_EQ(Decode(kLinkEthernet, small, &s), DecodeStatus::kMalformed);
}

TEST(PacketDecoder, RandomGarbageNeverCrashes) {
  std::mt19937 rng(12345);
  const int links[] = {kLinkNull, kLinkEthernet, kLinkRaw, kLinkLoop, kLinkLinuxSll, kLinkIpv4,
                       kLinkIpv6, kLinkLinuxSll2};
  Bytes base = Ethernet(Ipv6(TcpBytes(Http()), {{0, Bytes(6, 0)}}), 0x86DD, {0x8100});
  int tcp = 0;
  for (int i = 0; i < 200000; ++i) {
    size_t n = rng() % 160;
    std::unique_ptr<uint8_t[]> buf(new uint8_t[n + 1]);
    for (size_t j = 0; j < n; ++j) {
      // Half the time mutate a valid frame, so the fuzzing reaches the deeper layers.
      buf[j] = (i & 1) && j < base.size() && rng() % 8 ? base[j] : static_cast<uint8_t>(rng());
    }
    TcpSegment s;
    DecodeStatus st = DecodeFrame(links[i % 8], buf.get(), n, n + rng() % 3 * (rng() % 100), &s);
    if (st == DecodeStatus::kTcp) {
      ++tcp;
      ASSERT_LE(s.payload_len, s.wire_len);
      ASSERT_GE(s.payload, buf.get());
      ASSERT_LE(s.payload + s.payload_len, buf.get() + n);
    }
  }
  EXPECT_GT(tcp, 0);  // the mutations did reach TCP decoding
}

}  // namespace
}  // namespace capture_shim

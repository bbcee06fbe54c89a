#include "flow_table.h"

#include <gtest/gtest.h>

#include <cstring>

namespace capture_shim {
namespace {

TcpSegment Seg(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags) {
  TcpSegment s;
  s.ip_version = 4;
  std::memcpy(s.src_addr, &src, 4);
  std::memcpy(s.dst_addr, &dst, 4);
  s.src_port = sport;
  s.dst_port = dport;
  s.flags = flags;
  return s;
}

TcpSegment Reverse(const TcpSegment& s, uint8_t flags) {
  TcpSegment r = s;
  std::memcpy(r.src_addr, s.dst_addr, 16);
  std::memcpy(r.dst_addr, s.src_addr, 16);
  r.src_port = s.dst_port;
  r.dst_port = s.src_port;
  r.flags = flags;
  return r;
}

TEST(FlowKey, BothDirectionsShareOneKey) {
  TcpSegment a = Seg(0x0100000a, 51000, 0x0200000a, 80, kTcpSyn);
  TcpSegment b = Reverse(a, kTcpSyn | kTcpAck);
  bool a_lo, b_lo;
  FlowKey ka = MakeFlowKey(a, &a_lo);
  FlowKey kb = MakeFlowKey(b, &b_lo);
  EXPECT_TRUE(ka == kb);
  EXPECT_NE(a_lo, b_lo);
  EXPECT_EQ(SymmetricFlowHash(ka), SymmetricFlowHash(kb));
  // Same address, ports differ: still one key per connection.
  TcpSegment c = Seg(0x0100007f, 80, 0x0100007f, 51000, kTcpAck);
  bool c_lo, d_lo;
  EXPECT_TRUE(MakeFlowKey(c, &c_lo) == MakeFlowKey(Reverse(c, kTcpAck), &d_lo));
  EXPECT_NE(c_lo, d_lo);
}

TEST(Sampling, IsSymmetricAndRoughlyTheRate) {
  int kept = 0;
  for (uint32_t i = 0; i < 20000; ++i) {
    TcpSegment s = Seg(0x0100000a + (i << 24), static_cast<uint16_t>(1024 + i), 0x0200000a, 80, kTcpSyn);
    bool lo;
    bool forward = IsSampled(MakeFlowKey(s, &lo), 0.25);
    bool backward = IsSampled(MakeFlowKey(Reverse(s, kTcpAck), &lo), 0.25);
    ASSERT_EQ(forward, backward) << i;
    kept += forward;
  }
  EXPECT_GT(kept, 4500);
  EXPECT_LT(kept, 5500);
  bool lo;
  FlowKey k = MakeFlowKey(Seg(1, 2, 3, 4, 0), &lo);
  EXPECT_TRUE(IsSampled(k, 1.0));
  EXPECT_FALSE(IsSampled(k, 0.0));
}

TEST(Roles, ThePortInPortsIsTheServer) {
  PortSet ports;
  ports.Add(8080);
  // Even when the first packet seen is the server's (a SYN-ACK or data), and the port is higher.
  EXPECT_TRUE(SenderIsServer(Seg(1, 8080, 2, 80, kTcpAck), ports));
  EXPECT_FALSE(SenderIsServer(Seg(1, 80, 2, 8080, kTcpSyn | kTcpAck), ports));
}

TEST(Roles, BothOrNeitherInPortsTheSynDecides) {
  PortSet ports;
  ports.Add(80);
  ports.Add(443);
  EXPECT_FALSE(SenderIsServer(Seg(1, 80, 2, 443, kTcpSyn), ports));  // SYN: sender is the client
  EXPECT_TRUE(SenderIsServer(Seg(1, 80, 2, 443, kTcpSyn | kTcpAck), ports));  // SYN-ACK: the server
  PortSet none;
  EXPECT_FALSE(SenderIsServer(Seg(1, 5, 2, 60000, kTcpSyn), none));
  EXPECT_TRUE(SenderIsServer(Seg(1, 60000, 2, 5, kTcpSyn | kTcpAck), none));
}

TEST(Roles, NoSynSeenTheLowerPortIsTheServer) {
  PortSet none;
  EXPECT_TRUE(SenderIsServer(Seg(1, 3000, 2, 50000, kTcpAck), none));
  EXPECT_FALSE(SenderIsServer(Seg(1, 50000, 2, 3000, kTcpAck), none));
  EXPECT_FALSE(SenderIsServer(Seg(1, 7000, 2, 7000, kTcpAck), none));  // a tie: the destination
}

TEST(PortSet, EmptyMatchesEverything) {
  PortSet ports;
  EXPECT_TRUE(ports.Matches(1, 2));
  ports.Add(65535);
  EXPECT_TRUE(ports.Matches(65535, 2));
  EXPECT_TRUE(ports.Matches(2, 65535));
  EXPECT_FALSE(ports.Matches(1, 2));
  EXPECT_FALSE(ports.Contains(0));
}

FlowKey KeyN(uint32_t n) {
  bool lo;
  return MakeFlowKey(Seg(0x0100000a, static_cast<uint16_t>(1000 + n), 0x0200000a, 80, kTcpSyn), &lo);
}

TEST(FlowTable, EvictsTheLeastRecentlyActive) {
  FlowTable t(3);
  Connection* a = t.Insert(KeyN(1), 10);
  Connection* b = t.Insert(KeyN(2), 20);
  Connection* c = t.Insert(KeyN(3), 30);
  EXPECT_TRUE(t.full());
  EXPECT_EQ(t.EvictionCandidate(), a);
  t.Touch(a, 40);
  EXPECT_EQ(t.EvictionCandidate(), b);
  t.Remove(b);
  EXPECT_EQ(t.Find(KeyN(2)), nullptr);
  EXPECT_EQ(t.EvictionCandidate(), c);
  EXPECT_EQ(t.Find(KeyN(1)), a);
}

TEST(FlowTable, HalfOpenConnectionsAreEvictedBeforeEstablishedOnes) {
  FlowTable t(3);
  Connection* old_established = t.Insert(KeyN(1), 10);
  t.MarkEstablished(old_established);
  Connection* newer_half_open = t.Insert(KeyN(2), 20);
  t.Insert(KeyN(3), 30);
  EXPECT_EQ(t.EvictionCandidate(), newer_half_open);
}

TEST(FlowTable, IdleCandidatesByCaptureTime) {
  FlowTable t(10);
  Connection* a = t.Insert(KeyN(1), 100);
  Connection* b = t.Insert(KeyN(2), 200);
  t.MarkEstablished(b);
  EXPECT_EQ(t.IdleCandidate(99), nullptr);
  EXPECT_EQ(t.IdleCandidate(100), a);
  t.Touch(a, 300);
  EXPECT_EQ(t.IdleCandidate(250), b);
  t.Touch(b, 150);  // out-of-order capture time never moves activity backwards
  EXPECT_EQ(b->last_ts, 200);
  t.Remove(b);
  EXPECT_EQ(t.IdleCandidate(250), nullptr);
  EXPECT_EQ(t.IdleCandidate(300), a);
}

}  // namespace
}  // namespace capture_shim

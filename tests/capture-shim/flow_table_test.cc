#include "flow_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <list>
#include <map>
#include <random>
#include <vector>

#include "memory_pages.h"

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


TEST(FlowTable, BothDirectionsOfAConnectionFindOneEntry) {
  FlowTable t(100);
  TcpSegment syn = Seg(0x0100000a, 51000, 0x0200000a, 80, kTcpSyn);
  bool lo;
  Connection* c = t.Insert(MakeFlowKey(syn, &lo), 1);
  EXPECT_EQ(t.Find(MakeFlowKey(Reverse(syn, kTcpSyn | kTcpAck), &lo)), c);
  EXPECT_EQ(t.Find(MakeFlowKey(syn, &lo)), c);
  // The same ports with the addresses swapped is another connection.
  TcpSegment other = Seg(0x0200000a, 51000, 0x0100000a, 80, kTcpSyn);
  EXPECT_EQ(t.Find(MakeFlowKey(other, &lo)), nullptr);
}

TEST(FlowTable, ManyConnectionsStayFindableThroughRemovals) {
  FlowTable t(20000);
  std::vector<Connection*> conns;
  for (uint32_t i = 0; i < 20000; ++i) conns.push_back(t.Insert(KeyN(i), i));
  EXPECT_TRUE(t.full());
  for (uint32_t i = 0; i < 20000; i += 2) t.Remove(conns[i]);  // every other one: runs shift back
  EXPECT_EQ(t.size(), 10000u);
  for (uint32_t i = 0; i < 20000; ++i) {
    ASSERT_EQ(t.Find(KeyN(i)), i % 2 ? conns[i] : nullptr) << i;
  }
  size_t seen = 0;
  t.ForEach([&](Connection* c) {
    EXPECT_EQ(t.Find(c->key), c);
    ++seen;
  });
  EXPECT_EQ(seen, 10000u);
}

TEST(FlowTable, RemovedConnectionsAreResetAndReusedWithinTheBound) {
  FlowTable t(4);
  Connection* a = t.Insert(KeyN(1), 10);
  a->id = 7;
  a->announced = true;
  t.MarkEstablished(a);
  a->pending_syn = std::make_unique<PendingSyn>();
  a->dirs[0].OnSyn(1000);
  t.Insert(KeyN(2), 20);
  t.Remove(a);
  EXPECT_EQ(t.spares(), 1u);
  EXPECT_EQ(t.size() + t.spares(), 2u);
  Connection* b = t.Insert(KeyN(3), 30);
  EXPECT_EQ(b, a);  // the spare, warm
  EXPECT_EQ(t.spares(), 0u);
  EXPECT_EQ(b->id, 0u);
  EXPECT_FALSE(b->announced);
  EXPECT_FALSE(b->established);
  EXPECT_EQ(b->pending_syn, nullptr);
  EXPECT_FALSE(b->dirs[0].started());
  EXPECT_TRUE(b->key == KeyN(3));
  EXPECT_EQ(b->first_ts, 30);
  EXPECT_EQ(t.Find(KeyN(1)), nullptr);
  EXPECT_EQ(t.Find(KeyN(3)), b);
  EXPECT_EQ(t.EvictionCandidate(), t.Find(KeyN(2)));  // b is embryonic again, and newer
}

TEST(FlowTable, ObjectsAndMemoryNeverExceedMaxConnections) {
  constexpr size_t kMax = 50;
  FlowTable t(kMax);
  std::mt19937 rng(7);
  for (uint32_t i = 0; i < 5000; ++i) {
    if (t.full()) t.Remove(t.EvictionCandidate());
    if (rng() % 3 == 0 && t.size() > 0) t.Remove(t.EvictionCandidate());
    t.Insert(KeyN(i), i);
    ASSERT_LE(t.size() + t.spares(), kMax);
  }
  // The index is a power of two at most 3/4 full: for 50 entries 128 slots of 16 bytes; the objects'
  // pages, whole.
  EXPECT_LE(t.memory_bytes(), 128 * 16 + RoundUpToPage(kMax * sizeof(Connection)));
}

// Random operations against a model of the two recency lists: the table's eviction and idle
// candidates, lookups and size agree with it throughout.
TEST(FlowTable, AgreesWithAModelOfItsRecencyLists) {
  constexpr size_t kMax = 64;
  FlowTable t(kMax);
  std::mt19937 rng(99);
  struct Model {
    std::list<uint32_t> embryonic, established;  // oldest first
    std::map<uint32_t, int64_t> last_ts;
  } m;
  std::map<uint32_t, Connection*> by_n;
  auto model_list = [&](uint32_t n) -> std::list<uint32_t>& {
    return by_n[n]->established ? m.established : m.embryonic;
  };
  auto forget = [&](uint32_t n) {
    model_list(n).remove(n);
    m.last_ts.erase(n);
    by_n.erase(n);
  };
  int64_t now = 0;
  for (int step = 0; step < 20000; ++step) {
    now += rng() % 3;
    uint32_t n = rng() % 200;
    Connection* c = t.Find(KeyN(n));
    ASSERT_EQ(c, by_n.count(n) ? by_n[n] : nullptr) << step;
    switch (rng() % 4) {
      case 0:
        if (c != nullptr) break;
        if (t.full()) {
          Connection* victim = t.EvictionCandidate();
          uint32_t v = m.embryonic.empty() ? m.established.front() : m.embryonic.front();
          ASSERT_EQ(victim, by_n[v]) << step;
          forget(v);  // before Remove, which resets the connection
          t.Remove(victim);
        }
        by_n[n] = t.Insert(KeyN(n), now);
        m.embryonic.push_back(n);
        m.last_ts[n] = now;
        break;
      case 1:
        if (c == nullptr) break;
        t.Touch(c, now);
        model_list(n).remove(n);
        model_list(n).push_back(n);
        m.last_ts[n] = std::max(m.last_ts[n], now);
        break;
      case 2:  // payload: the tracker touches the connection, then marks it established
        if (c == nullptr || c->established) break;
        t.Touch(c, now);
        t.MarkEstablished(c);
        m.embryonic.remove(n);
        m.established.push_back(n);
        m.last_ts[n] = std::max(m.last_ts[n], now);
        break;
      case 3:
        if (c == nullptr) break;
        forget(n);
        t.Remove(c);
        break;
    }
    ASSERT_EQ(t.size(), by_n.size());
    ASSERT_LE(t.size() + t.spares(), kMax);
    int64_t cutoff = now - static_cast<int64_t>(rng() % 50);
    Connection* idle = t.IdleCandidate(cutoff);
    const uint32_t* oldest = nullptr;
    for (const auto* list : {&m.embryonic, &m.established}) {
      if (!list->empty() && (oldest == nullptr || m.last_ts[list->front()] < m.last_ts[*oldest])) {
        oldest = &list->front();
      }
    }
    if (oldest == nullptr || m.last_ts[*oldest] > cutoff) {
      ASSERT_EQ(idle, nullptr) << step;
    } else {
      ASSERT_NE(idle, nullptr) << step;
      ASSERT_EQ(idle->last_ts, m.last_ts[*oldest]) << step;  // ties between the lists: either
    }
  }
}

}  // namespace
}  // namespace capture_shim

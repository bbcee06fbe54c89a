// The recently closed 4-tuples: remembered by key with their latest close, the oldest forgotten first
// once `capacity` are held.
#include "closed_tuples.h"

#include <gtest/gtest.h>

#include <cstring>

namespace capture_shim {
namespace {

FlowKey Key(uint16_t port) {
  TcpSegment s;
  s.ip_version = 4;
  s.src_addr[0] = 10;
  s.dst_addr[0] = 11;
  s.src_port = port;
  s.dst_port = 80;
  bool lo;
  return MakeFlowKey(s, &lo);
}

bool Closed(const ClosedTuples& c, uint16_t port, int64_t since) {
  return c.ClosedSince(Key(port), SymmetricFlowHash(Key(port)), since);
}

void Remember(ClosedTuples& c, uint16_t port, int64_t ts) {
  c.Remember(Key(port), SymmetricFlowHash(Key(port)), ts);
}

TEST(ClosedTuples, RemembersEachTupleWithItsLatestClose) {
  ClosedTuples c(10);
  Remember(c, 1000, 100);
  EXPECT_TRUE(Closed(c, 1000, 100));
  EXPECT_FALSE(Closed(c, 1000, 101));  // closed before `since`: a new connection may start
  EXPECT_FALSE(Closed(c, 1001, 0));
  Remember(c, 1000, 500);
  EXPECT_TRUE(Closed(c, 1000, 500));
  EXPECT_EQ(c.size(), 1u);
}

TEST(ClosedTuples, ForgetsTheOldestCloseOnceFull) {
  ClosedTuples c(3);
  Remember(c, 1, 10);
  Remember(c, 2, 20);
  Remember(c, 3, 30);
  Remember(c, 4, 40);  // the ring goes round: 1 is forgotten
  EXPECT_FALSE(Closed(c, 1, 0));
  EXPECT_TRUE(Closed(c, 2, 0));
  EXPECT_TRUE(Closed(c, 4, 0));
  EXPECT_EQ(c.size(), 3u);
  // Closing 2 again moves it to the newest end: 3 goes next, then 4, and 2 stays.
  Remember(c, 2, 50);
  EXPECT_EQ(c.size(), 3u);
  Remember(c, 5, 60);
  Remember(c, 6, 70);
  EXPECT_FALSE(Closed(c, 3, 0));
  EXPECT_FALSE(Closed(c, 4, 0));
  EXPECT_TRUE(Closed(c, 2, 50));
  EXPECT_TRUE(Closed(c, 5, 0));
  EXPECT_TRUE(Closed(c, 6, 0));
  EXPECT_EQ(c.size(), 3u);
}

TEST(ClosedTuples, MemoryIsBoundedByTheCapacity) {
  ClosedTuples c(100);
  for (uint16_t i = 0; i < 5000; ++i) {
    Remember(c, static_cast<uint16_t>(i % 300), i);
    ASSERT_LE(c.size(), 100u);
  }
  // 100 records, and an index of 256 slots (a power of two at most 3/4 full).
  EXPECT_LE(c.memory_bytes(), 100 * 56 + 256 * 16);
  for (uint16_t i = 4900; i < 5000; ++i) EXPECT_TRUE(Closed(c, i % 300, i)) << i;
}

}  // namespace
}  // namespace capture_shim

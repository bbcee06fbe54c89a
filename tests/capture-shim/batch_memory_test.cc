// The capture's batch memory and the ring's allowance: the pool keeps spent buffers up to its bound
// in bytes and frees the rest, and the wait for room in the ring ends where half the ring may be full.
#include <gtest/gtest.h>

#include "batch_pool.h"
#include "ring_hold.h"

namespace capture_shim {
namespace {

TEST(BatchPool, KeepsSpentBuffersUpToItsBoundInBytesAndTrimFreesThem) {
  constexpr size_t kCapacity = 320 << 10;
  BatchPool pool(kCapacity, 2 * kCapacity);
  Batch a = pool.Take(), b = pool.Take(), c = pool.Take();
  EXPECT_GE(a.capacity(), kCapacity);
  a.resize(1000);
  const uint8_t* a_data = a.data();
  pool.Give(std::move(a));
  pool.Give(std::move(b));
  pool.Give(std::move(c));  // over the bound: freed
  EXPECT_EQ(pool.spare_bytes(), 2 * kCapacity);
  Batch reused = pool.Take();
  EXPECT_TRUE(reused.empty());  // cleared, and one of the kept buffers
  EXPECT_TRUE(reused.data() == a_data || pool.spare_bytes() == kCapacity);
  EXPECT_EQ(pool.spare_bytes(), kCapacity);
  Batch small;  // a buffer smaller than the pool's capacity is not kept
  small.reserve(100);
  pool.Give(std::move(small));
  EXPECT_EQ(pool.spare_bytes(), kCapacity);
  pool.Trim();
  EXPECT_EQ(pool.spare_bytes(), 0u);
}

TEST(RingHold, NoWaitBeforeTheRingWasReadEmptyOrInARingOfOneBlock) {
  RingHold hold(16 << 20, 10);
  EXPECT_EQ(hold.Remaining(0), 0);
  RingHold tiny(kRingBlockBytes * 2, 10);
  tiny.OnRingEmpty(0);
  EXPECT_EQ(tiny.Remaining(0), 0);
}

TEST(RingHold, AQuietRingIsNotWaitedOn) {
  // Blocks retired by the timeout, not filled: no rate to trust.
  RingHold hold(16 << 20, 10);
  hold.OnRingEmpty(0);
  for (int i = 0; i < 100; ++i) hold.OnPacket(1000);  // 2 MB/s
  hold.OnRingEmpty(60'000);
  EXPECT_EQ(hold.Remaining(60'000), 0);
}

TEST(RingHold, AFasterRingAllowsLessAndReadsBetweenWaitsGiveItBack) {
  RingHold hold(16 << 20, 10);
  hold.OnRingEmpty(0);
  // 50 ms in which 4 MiB of frames were read: 80 MiB/s (over the timeout's 25.6 MiB/s).
  for (int i = 0; i < 1024; ++i) hold.OnPacket(4096 - kRingFrameOverheadBytes);
  hold.OnRingEmpty(50'000);
  const double rate = 4.0 * (1 << 20) / 0.05;
  const double allowed_us = ((8 << 20) - kRingBlockBytes) / rate * 1e6;
  EXPECT_NEAR(hold.Remaining(50'000), allowed_us, 1000);
  // 256 KiB read since (between two waits): the ring holds that much less than the time says.
  for (int i = 0; i < 64; ++i) hold.OnPacket(4096 - kRingFrameOverheadBytes);
  EXPECT_NEAR(hold.Remaining(60'000), allowed_us + (256 << 10) / rate * 1e6 - 10'000, 1000);
  // A read still going that has taken 8 MiB in 10 ms: the ring fills at least that fast.
  RingHold backlog(16 << 20, 10);
  backlog.OnRingEmpty(0);
  for (int i = 0; i < 2048; ++i) backlog.OnPacket(4096 - kRingFrameOverheadBytes);
  const double fast = 8.0 * (1 << 20) / 0.01;
  EXPECT_NEAR(backlog.Remaining(10'000), ((16 << 20) - kRingBlockBytes) / fast * 1e6 - 10'000, 1000);
}

}  // namespace
}  // namespace capture_shim

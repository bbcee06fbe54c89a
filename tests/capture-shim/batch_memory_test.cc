// The capture's batch memory: the pool keeps spent buffers up to its bound in bytes and frees the rest.
#include <gtest/gtest.h>

#include "batch_pool.h"

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

TEST(BatchPool, ASpareSaysHowMuchOfItWasWritten) {
  constexpr size_t kCapacity = 320 << 10;
  BatchPool pool(kCapacity, 4 * kCapacity);
  size_t warm = 1;
  Batch a = pool.Take(&warm);
  EXPECT_EQ(warm, 0u);  // fresh memory
  a.resize(100 << 10);
  pool.Give(std::move(a));
  Batch again = pool.Take(&warm);
  EXPECT_EQ(warm, 100u << 10);
  EXPECT_TRUE(again.empty());
}

}  // namespace
}  // namespace capture_shim

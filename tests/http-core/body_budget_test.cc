#include "body_budget.h"

#include <gtest/gtest.h>

#include <string>

namespace http_core {
namespace {

const uint8_t kBytes[64] = {};

TEST(BodyBudget, KeepsWhileUnderTheLimit) {
  BodyBudget budget(100);
  BodyHolder a;
  EXPECT_EQ(budget.Keep(&a, kBytes, 60), 60u);
  EXPECT_EQ(budget.used(), 60u);
  budget.Release(&a);
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_TRUE(a.bytes().empty());
}

TEST(BodyBudget, CutsTheLargestHolderFirst) {
  BodyBudget budget(100);
  BodyHolder small, large, fresh;
  budget.Keep(&small, kBytes, 20);
  budget.Keep(&large, kBytes, 60);
  EXPECT_EQ(budget.Keep(&fresh, kBytes, 30), 30u);
  EXPECT_TRUE(large.cut);
  EXPECT_TRUE(large.bytes().empty());
  EXPECT_FALSE(small.cut);
  EXPECT_EQ(budget.used(), 50u);
  EXPECT_EQ(budget.cuts(), 1u);
  EXPECT_EQ(budget.cut_bytes(), 60u);
  // A cut holder keeps nothing more, even when there is room again.
  EXPECT_EQ(budget.Keep(&large, kBytes, 1), 0u);
  budget.Release(&small);
  budget.Release(&fresh);
  budget.Release(&large);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(BodyBudget, TheRequesterGivesWayWhenItWouldBeTheLargest) {
  BodyBudget budget(50);
  BodyHolder other, greedy;
  budget.Keep(&other, kBytes, 10);
  budget.Keep(&greedy, kBytes, 30);
  EXPECT_EQ(budget.Keep(&greedy, kBytes, 20), 0u);
  EXPECT_TRUE(greedy.cut);
  EXPECT_FALSE(other.cut);
  EXPECT_EQ(budget.used(), 10u);
  budget.Release(&other);
  budget.Release(&greedy);
}

TEST(BodyBudget, AChunkLargerThanTheWholeBudgetIsNotKept) {
  BodyBudget budget(10);
  BodyHolder h;
  EXPECT_EQ(budget.Keep(&h, kBytes, 11), 0u);
  EXPECT_TRUE(h.cut);
  EXPECT_EQ(budget.used(), 0u);
}

// The first piece of an empty holder is pointed at, not copied; a second piece, or Settle (the
// input going away), stores the bytes; either way they read the same and count the same.
TEST(BodyBudget, PointsAtTheFirstPieceUntilSettled) {
  BodyBudget budget(100);
  std::string input = "abcdef";
  BodyHolder one, two;
  budget.Keep(&one, reinterpret_cast<const uint8_t*>(input.data()), 3);
  EXPECT_EQ(one.bytes().data(), input.data());
  budget.Keep(&two, reinterpret_cast<const uint8_t*>(input.data()), 2);
  budget.Keep(&two, reinterpret_cast<const uint8_t*>(input.data() + 2), 4);
  EXPECT_EQ(two.bytes(), "abcdef");
  EXPECT_NE(two.bytes().data(), input.data());
  budget.Settle(&one);
  input = "xyzxyz";
  EXPECT_EQ(one.bytes(), "abc");
  EXPECT_EQ(budget.used(), 9u);
  budget.Release(&one);
  budget.Release(&two);
  EXPECT_EQ(budget.used(), 0u);
}

}  // namespace
}  // namespace http_core

// The client bytes held while an upgrade request awaits its answer.
#include "upgrade_hold.h"

#include <gtest/gtest.h>

#include <string>

namespace http_core {
namespace {

const uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

TEST(UpgradeHold, DeclinedUpgradeGetsEveryHeldByteBackInOrder) {
  UpgradeHold h;
  h.Begin(3);
  EXPECT_EQ(h.exchange(), 3u);
  const std::string a = "GET /next", b = " HTTP/1.1\r\n\r\n";
  EXPECT_EQ(h.Hold(Bytes(a), a.size(), 100).dropped, 0u);
  EXPECT_EQ(h.Hold(Bytes(b), b.size(), 100).dropped, 0u);
  bool lost = true;
  EXPECT_EQ(h.Take(&lost), a + b);
  EXPECT_FALSE(lost);
  EXPECT_EQ(h.size(), 0u);
}

TEST(UpgradeHold, PastMaxBytesTheHoldIsLostAndOverflowIsReportedOnce) {
  UpgradeHold h;
  h.Begin(1);
  const std::string a(60, 'a'), b(60, 'b');
  EXPECT_FALSE(h.Hold(Bytes(a), a.size(), 100).overflowed);
  const auto r = h.Hold(Bytes(b), b.size(), 100);
  EXPECT_TRUE(r.overflowed);
  EXPECT_EQ(r.dropped, 120u);
  const auto again = h.Hold(Bytes(a), a.size(), 100);
  EXPECT_FALSE(again.overflowed);
  EXPECT_EQ(again.dropped, 60u);
  bool lost = false;
  EXPECT_TRUE(h.Take(&lost).empty());
  EXPECT_TRUE(lost);
}

TEST(UpgradeHold, GapLosesTheHoldAndReportsWhatWasHeld) {
  UpgradeHold h;
  h.Begin(1);
  const std::string a(10, 'a');
  h.Hold(Bytes(a), a.size(), 100);
  EXPECT_EQ(h.Lose(), 10u);
  EXPECT_EQ(h.Hold(Bytes(a), a.size(), 100).dropped, 10u);  // nothing is kept after a gap
  h.Begin(2);  // a new wait starts clean
  EXPECT_EQ(h.Hold(Bytes(a), a.size(), 100).dropped, 0u);
  EXPECT_EQ(h.Drop(), 10u);
}

}  // namespace
}  // namespace http_core

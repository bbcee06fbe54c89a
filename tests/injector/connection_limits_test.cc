// The connection caps alone: in all and per source address.
#include "connection_limits.h"

#include <gtest/gtest.h>

namespace injector {
namespace {
namespace ip = boost::asio::ip;
using Verdict = ConnectionLimits::Verdict;

TEST(ConnectionLimits, OneSourceCannotTakeEverySlot) {
  ConnectionLimits limits(5, 2);
  const auto pod = ip::make_address("10.0.0.7");
  const auto api_server = ip::make_address("10.0.0.1");
  EXPECT_EQ(limits.TryAdmit(pod), Verdict::kAdmitted);
  EXPECT_EQ(limits.TryAdmit(pod), Verdict::kAdmitted);
  EXPECT_EQ(limits.TryAdmit(pod), Verdict::kOverSource);
  EXPECT_EQ(limits.TryAdmit(api_server), Verdict::kAdmitted);
  EXPECT_EQ(limits.open(), 3u);
  EXPECT_EQ(limits.open_from(pod), 2u);
  limits.Release(pod);
  EXPECT_EQ(limits.TryAdmit(pod), Verdict::kAdmitted);
}

TEST(ConnectionLimits, TheTotalCapHoldsAcrossSources) {
  ConnectionLimits limits(3, 3);
  for (const char* a : {"10.0.0.1", "10.0.0.2", "2001:db8::1"}) EXPECT_EQ(limits.TryAdmit(ip::make_address(a)), Verdict::kAdmitted);
  EXPECT_EQ(limits.TryAdmit(ip::make_address("10.0.0.4")), Verdict::kOverTotal);
  EXPECT_EQ(limits.open_from(ip::make_address("10.0.0.4")), 0u);  // a refusal leaves nothing behind
  limits.Release(ip::make_address("2001:db8::1"));
  EXPECT_EQ(limits.TryAdmit(ip::make_address("10.0.0.4")), Verdict::kAdmitted);
}

TEST(ConnectionLimits, AnIpv4MappedAddressIsTheSameSource) {
  ConnectionLimits limits(10, 1);
  EXPECT_EQ(limits.TryAdmit(ip::make_address("::ffff:10.0.0.7")), Verdict::kAdmitted);
  EXPECT_EQ(limits.TryAdmit(ip::make_address("10.0.0.7")), Verdict::kOverSource);
  limits.Release(ip::make_address("10.0.0.7"));
  EXPECT_EQ(limits.open(), 0u);
  limits.Release(ip::make_address("10.0.0.7"));  // an unpaired release changes nothing
  EXPECT_EQ(limits.open(), 0u);
}

}  // namespace
}  // namespace injector

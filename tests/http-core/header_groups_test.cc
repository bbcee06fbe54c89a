// Grouping of repeated header names for the message's JSON, and its cost on many distinct names.
#include "header_groups.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace http_core {
namespace {

Message WithHeaders(const std::vector<std::string>& names) {
  Message m;
  for (const std::string& name : names) {
    Header h;
    h.name = Span{static_cast<uint32_t>(m.arena.size()), static_cast<uint32_t>(name.size())};
    m.arena.Append(name);
    h.value = Span{static_cast<uint32_t>(m.arena.size()), 1};
    m.arena.Append("v");
    m.headers.push_back(h);
  }
  return m;
}

TEST(HeaderGroups, RepeatedNamesChainInOrderFromTheirFirstOccurrence) {
  const Message m = WithHeaders({"b", "a", "b", "c", "a", "b"});
  HeaderGroups g;
  g.Build(m);
  const bool first[] = {true, true, false, true, false, false};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(g.IsFirst(i), first[i]) << i;
  EXPECT_EQ(g.Next(0), 2u);
  EXPECT_EQ(g.Next(2), 5u);
  EXPECT_EQ(g.Next(5), HeaderGroups::kEnd);
  EXPECT_EQ(g.Next(1), 4u);
  EXPECT_EQ(g.Next(4), HeaderGroups::kEnd);
  EXPECT_EQ(g.Next(3), HeaderGroups::kEnd);
}

TEST(HeaderGroups, ManyLinesBeyondTheInlineStorage) {
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("n" + std::to_string(i % 7));
  const Message m = WithHeaders(names);
  HeaderGroups g;
  g.Build(m);
  for (size_t i = 0; i < 300; ++i) {
    EXPECT_EQ(g.IsFirst(i), i < 7) << i;
    EXPECT_EQ(g.Next(i), i + 7 < 300 ? i + 7 : HeaderGroups::kEnd) << i;
  }
}

// 1,000 distinct names (the most a message may have): name comparisons only where hashes are
// equal; pairwise grouping made about n * n.
TEST(HeaderGroups, ThousandDistinctNamesCostNLogNComparisons) {
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) names.push_back("h" + std::to_string((i * 7919) % 1000));
  const Message m = WithHeaders(names);
  HeaderGroups g;
  g.Build(m);
  for (size_t i = 0; i < 1000; ++i) ASSERT_TRUE(g.IsFirst(i) && g.Next(i) == HeaderGroups::kEnd) << i;
  EXPECT_LE(g.comparisons(), 2u * 1000u);
}

}  // namespace
}  // namespace http_core

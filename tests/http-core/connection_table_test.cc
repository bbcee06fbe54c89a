#include "connection_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "core_context.h"

namespace http_core {
namespace {

class ConnectionTableTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpAssembler> Make(uint64_t id) {
    return std::make_unique<HttpAssembler>(id, Endpoint{}, Endpoint{}, ctx_);
  }
  CoreContext ctx_{CoreLimits(1024), 1 << 20};
};

// The table against std::map through growth, shrinking and the shifts of backward deletion, with
// ids in sequence (as the capture gives them out) and ids that share their home slot.
TEST_F(ConnectionTableTest, FindsWhatWasInsertedThroughGrowthAndDeletion) {
  ConnectionTable table;
  std::map<uint64_t, HttpAssembler*> expected;
  std::mt19937_64 rng(7);
  std::vector<uint64_t> ids;
  for (uint64_t i = 1; i <= 3000; ++i) ids.push_back(i);
  // Multiples of 2^60 all hash to the same home slot in a small table.
  for (uint64_t k = 1; k <= 8; ++k) ids.push_back(k << 60);
  for (int round = 0; round < 20000; ++round) {
    const uint64_t id = ids[rng() % ids.size()];
    HttpAssembler* found = table.Find(id);
    auto it = expected.find(id);
    ASSERT_EQ(found, it == expected.end() ? nullptr : it->second) << "round " << round;
    // Grow while under half of the ids are open, then mostly close.
    const bool insert = it == expected.end() && (round < 12000 ? rng() % 3 != 0 : rng() % 5 == 0);
    if (insert) {
      std::unique_ptr<HttpAssembler> conn = Make(id);
      expected[id] = conn.get();
      table.Insert(id, std::move(conn));
    } else if (it != expected.end() && rng() % 2 == 0) {
      table.Erase(id);
      expected.erase(it);
    }
    ASSERT_EQ(table.size(), expected.size());
  }
  for (const auto& [id, conn] : expected) EXPECT_EQ(table.Find(id), conn);
  EXPECT_EQ(table.Find(3001), nullptr);
}

TEST_F(ConnectionTableTest, VisitsConnectionsInIdOrder) {
  ConnectionTable table;
  for (uint64_t id : {42u, 7u, 1000u, 3u, 99u}) table.Insert(id, Make(id));
  std::vector<uint64_t> seen;
  table.ForEachById([&seen](uint64_t id, HttpAssembler&) { seen.push_back(id); });
  EXPECT_EQ(seen, (std::vector<uint64_t>{3, 7, 42, 99, 1000}));
  table.Clear();
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.Find(42), nullptr);
}

}  // namespace
}  // namespace http_core

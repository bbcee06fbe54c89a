// The open-addressing index under the flow table: lookups by hash and key, backward-shift removal,
// growth, with hashes chosen to collide and to wrap around the end of the slot array.
#include "flow_index.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <vector>

namespace capture_shim {
namespace {

struct Entry {
  int key;
};

Entry* FindKey(const FlowIndex<Entry>& index, uint64_t hash, int key) {
  return index.Find(hash, [key](const Entry& e) { return e.key == key; });
}

TEST(FlowIndex, EqualHashesAreToldApartByTheKey) {
  FlowIndex<Entry> index;
  Entry a{1}, b{2}, c{3};
  index.Insert(7, &a);
  index.Insert(7, &b);
  index.Insert(7, &c);
  EXPECT_EQ(FindKey(index, 7, 2), &b);
  EXPECT_EQ(FindKey(index, 7, 4), nullptr);
  EXPECT_EQ(FindKey(index, 8, 2), nullptr);  // same key, another hash: not the entry
  index.Remove(7, &a);  // the head of the run: the others move back and stay reachable
  EXPECT_EQ(FindKey(index, 7, 1), nullptr);
  EXPECT_EQ(FindKey(index, 7, 2), &b);
  EXPECT_EQ(FindKey(index, 7, 3), &c);
  EXPECT_EQ(index.size(), 2u);
}

TEST(FlowIndex, RemovalKeepsRunsThatWrapPastTheEndReachable) {
  FlowIndex<Entry> index;
  Entry e[5] = {{0}, {1}, {2}, {3}, {4}};
  index.Insert(0, &e[0]);  // allocates the smallest table
  const uint64_t last = index.capacity() - 1;
  // Homes at the last slot and at slot 0: the run wraps round, mixing both homes.
  index.Insert(last, &e[1]);
  index.Insert(last, &e[2]);  // -> slot 1 (0 is taken)
  index.Insert(0, &e[3]);     // -> slot 2
  index.Insert(last + index.capacity(), &e[4]);  // another hash with the same home
  index.Remove(last, &e[1]);
  for (int k : {0, 2, 3}) {
    uint64_t hash = k == 2 ? last : 0;
    EXPECT_EQ(FindKey(index, hash, k), &e[k]) << k;
  }
  EXPECT_EQ(FindKey(index, last + index.capacity(), 4), &e[4]);
  index.Remove(0, &e[0]);
  EXPECT_EQ(FindKey(index, 0, 3), &e[3]);
  EXPECT_EQ(FindKey(index, last, 2), &e[2]);
  EXPECT_EQ(index.size(), 3u);
}

TEST(FlowIndex, GrowsToStayAtMostThreeQuartersFull) {
  FlowIndex<Entry> index;
  std::vector<std::unique_ptr<Entry>> entries;
  for (int i = 0; i < 1000; ++i) {
    entries.push_back(std::make_unique<Entry>(Entry{i}));
    index.Insert(static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL, entries.back().get());
    ASSERT_LE(index.size() * 4, index.capacity() * 3);
  }
  EXPECT_EQ(index.capacity(), 2048u);
  EXPECT_EQ(index.memory_bytes(), 2048u * 16);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(FindKey(index, static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL, i), entries[i].get());
  }
  size_t seen = 0;
  index.ForEach([&](Entry*) { ++seen; });
  EXPECT_EQ(seen, 1000u);
}

// Random inserts, removals and lookups against a std::map, with hashes from a small range around 0
// (so their homes are the last and first slots whatever the capacity): homes collide, runs merge and
// wrap past the end, and removals shift entries across them.
TEST(FlowIndex, AgreesWithAMapUnderHeavyCollisions) {
  std::mt19937_64 rng(808);
  FlowIndex<Entry> index;
  std::map<int, std::pair<uint64_t, std::unique_ptr<Entry>>> model;
  for (int step = 0; step < 200000; ++step) {
    int key = static_cast<int>(rng() % 300);
    auto it = model.find(key);
    if (it == model.end()) {
      uint64_t hash = static_cast<uint64_t>(static_cast<int64_t>(rng() % 40) - 20) ^
                      (rng() % 2 ? 0 : uint64_t{1} << 40);
      auto entry = std::make_unique<Entry>(Entry{key});
      index.Insert(hash, entry.get());
      model.emplace(key, std::make_pair(hash, std::move(entry)));
    } else if (rng() % 2) {
      index.Remove(it->second.first, it->second.second.get());
      model.erase(it);
    }
    if (step % 97 == 0) {
      for (auto& [k, v] : model) ASSERT_EQ(FindKey(index, v.first, k), v.second.get()) << step;
      ASSERT_EQ(index.size(), model.size());
    }
  }
}

}  // namespace
}  // namespace capture_shim

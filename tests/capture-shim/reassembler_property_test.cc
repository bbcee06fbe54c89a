// Randomised checks of the reassembler against a known stream: cut into segments, duplicated,
// re-cut so segments overlap, reordered locally, some lost; across the 32-bit wrap. Whatever the
// schedule, every delivered byte must be the original byte at its offset, gaps must account for the
// rest, and with nothing lost the output must be the stream exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "reassembler.h"

namespace capture_shim {
namespace {

struct Piece {
  uint64_t off;
  std::string bytes;
};

// Rebuilds the stream with positions: data bytes, or '\0' placeholders marked lost.
class Rebuild : public StreamSink {
 public:
  void OnStreamData(const uint8_t* b, uint32_t n, int64_t) override {
    ASSERT_GT(n, 0u);
    out.append(reinterpret_cast<const char*>(b), n);
    lost.insert(lost.end(), n, false);
  }
  void OnStreamGap(uint64_t n, int64_t) override {
    ASSERT_GT(n, 0u);
    out.append(n, '\0');
    lost.insert(lost.end(), n, true);
    gaps += n;
  }
  std::string out;
  std::vector<bool> lost;
  uint64_t gaps = 0;
};

std::vector<Piece> Schedule(const std::string& s, std::mt19937& rng, double loss) {
  std::vector<Piece> pieces;
  // Two independent cuttings of the same stream: the second overlaps the first everywhere.
  for (int pass = 0; pass < 2; ++pass) {
    for (uint64_t off = 0; off < s.size();) {
      uint64_t n = std::min<uint64_t>(1 + rng() % 1500, s.size() - off);
      if (pass == 0 || rng() % 3 == 0) pieces.push_back({off, s.substr(off, n)});
      off += n;
    }
  }
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const Piece& a, const Piece& b) { return a.off < b.off; });
  // Local reordering: swap neighbours within a small window.
  for (size_t i = 0; i + 1 < pieces.size(); ++i) {
    if (rng() % 4 == 0) std::swap(pieces[i], pieces[i + 1 + rng() % std::min<size_t>(4, pieces.size() - i - 1)]);
  }
  if (loss > 0) {
    std::vector<Piece> kept;
    for (Piece& p : pieces) {
      if (std::uniform_real_distribution<double>(0, 1)(rng) >= loss) kept.push_back(std::move(p));
    }
    pieces = std::move(kept);
  }
  return pieces;
}

uint64_t RunOne(uint32_t seed, double loss) {
  std::mt19937 rng(seed);
  std::string s(20000 + rng() % 50000, ' ');
  for (char& c : s) c = static_cast<char>(rng());
  uint32_t isn = seed % 2 ? 0xFFFFFFFFu - rng() % 30000 : rng();  // half of them wrap
  std::vector<Piece> pieces = Schedule(s, rng, loss);

  BufferBudget budget(1 << 20);
  ReassemblyStats stats;
  ReassemblyContext ctx{ReassemblyLimits{}, &budget, &stats};
  Rebuild out;
  {
    Reassembler r;
    r.OnSyn(isn);
    for (const Piece& p : pieces) {
      r.OnSegment(ctx, isn + 1 + static_cast<uint32_t>(p.off),
                  reinterpret_cast<const uint8_t*>(p.bytes.data()), static_cast<uint32_t>(p.bytes.size()),
                  static_cast<uint32_t>(p.bytes.size()), false, 0, &out);
      EXPECT_LE(budget.used(), budget.limit());
    }
    r.Flush(ctx, 0, &out);
    EXPECT_EQ(budget.used(), 0u);
  }
  EXPECT_LE(out.out.size(), s.size()) << "seed " << seed;
  for (size_t i = 0; i < out.out.size() && i < s.size(); ++i) {
    if (!out.lost[i] && out.out[i] != s[i]) {
      ADD_FAILURE() << "seed " << seed << ": byte " << i << " differs";
      break;
    }
  }
  if (loss == 0) {
    EXPECT_EQ(out.gaps, 0u) << "seed " << seed;
    EXPECT_EQ(out.out.size(), s.size()) << "seed " << seed;
  } else {
    // Only the tail after the last captured byte may be missing without a gap.
    uint64_t last_end = 0;
    for (const Piece& p : pieces) last_end = std::max<uint64_t>(last_end, p.off + p.bytes.size());
    EXPECT_EQ(out.out.size(), last_end) << "seed " << seed;
  }
  return out.gaps;
}

TEST(ReassemblerProperty, ReorderedDuplicatedOverlappingSegmentsGiveTheStreamExactly) {
  for (uint32_t seed = 1; seed <= 200; ++seed) RunOne(seed, 0.0);
}

TEST(ReassemblerProperty, WithLossEveryDeliveredByteIsInItsPlaceAndGapsCoverTheRest) {
  uint64_t gaps = 0;
  for (uint32_t seed = 1000; seed < 1200; ++seed) gaps += RunOne(seed, 0.05);
  EXPECT_GT(gaps, 0u);  // the schedules did lose bytes
}

}  // namespace
}  // namespace capture_shim

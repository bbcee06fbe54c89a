#include "pattern_program.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace http_core {
namespace {

using Op = PatternProgram::Op;

// Programs written by hand in the layout of pattern_program.h (ts/src/url-pattern.ts writes them
// from patterns; its tests cover the patterns themselves).
struct Asm {
  std::vector<uint32_t> insts;
  std::vector<uint32_t> classes;
  Asm& I(uint32_t op, uint32_t x = 0, uint32_t y = 0) {
    insts.insert(insts.end(), {op, x, y});
    return *this;
  }
  Asm& Lit(std::string_view s) {
    for (char c : s) I(Op::kByte, static_cast<uint8_t>(c));
    return *this;
  }
  std::vector<uint8_t> Bytes() const {
    std::vector<uint32_t> words{static_cast<uint32_t>(insts.size() / 3)};
    words.insert(words.end(), insts.begin(), insts.end());
    words.insert(words.end(), classes.begin(), classes.end());
    std::vector<uint8_t> out;
    for (uint32_t w : words) {
      for (int k = 0; k < 4; ++k) out.push_back(static_cast<uint8_t>(w >> (8 * k)));
    }
    return out;
  }
};

PatternProgram Load(const Asm& a) {
  PatternProgram p;
  const std::vector<uint8_t> b = a.Bytes();
  EXPECT_TRUE(p.Load(b.data(), b.size()));
  return p;
}

TEST(PatternProgram, AnchoredLiteralPrefix) {
  PatternProgram p = Load(Asm().I(Op::kBegin).Lit("/api/").I(Op::kMatch));
  EXPECT_TRUE(p.Search("/api/users?x=1", false));
  EXPECT_FALSE(p.Search("/v1/api/users", false));
  EXPECT_FALSE(p.Search("/API/users", false));
  EXPECT_TRUE(p.Search("/API/users", true));  // fold_case reads the text lower-cased
  EXPECT_FALSE(p.Search("", false));
}

TEST(PatternProgram, UnanchoredSearchAndEndAssertion) {
  // health$
  PatternProgram p = Load(Asm().Lit("health").I(Op::kEnd).I(Op::kMatch));
  EXPECT_TRUE(p.Search("/healthz/health", false));
  EXPECT_FALSE(p.Search("/health/x", false));
  EXPECT_TRUE(p.Search("HEALTH", true));
}

TEST(PatternProgram, LoopsAndClassesRunInLockStep) {
  // (a*)*b as a Thompson program: 0 split(1,4) 1 split(2,0)… written as nested empty-able loops.
  Asm a;
  a.I(Op::kSplit, 1, 5)   // 0: outer loop or exit
      .I(Op::kSplit, 2, 4)  // 1: inner loop or leave it
      .I(Op::kByte, 'a')     // 2
      .I(Op::kJump, 1)       // 3
      .I(Op::kJump, 0)       // 4: back to the outer loop
      .I(Op::kByte, 'b')     // 5
      .I(Op::kMatch);        // 6
  PatternProgram p = Load(a);
  // A backtracking matcher takes exponential time on this text; this one reads it once.
  const std::string text(1 << 16, 'a');
  EXPECT_FALSE(p.Search(text, false));
  EXPECT_TRUE(p.Search(text + "b", false));
  // [0-9]+ with a class of the ten digits.
  Asm d;
  d.classes.assign(8, 0);
  d.classes[1] = 0x03FF0000;  // bits 48-57 live in the second word of the first 64-bit half
  d.I(Op::kClass, 0).I(Op::kSplit, 0, 2).I(Op::kMatch);
  PatternProgram digits = Load(d);
  EXPECT_TRUE(digits.Search("/users/42", false));
  EXPECT_FALSE(digits.Search("/users/x", false));
}

TEST(PatternProgram, MalformedProgramsAreRefused) {
  PatternProgram p;
  const auto refused = [&p](const Asm& a) {
    const std::vector<uint8_t> b = a.Bytes();
    return !p.Load(b.data(), b.size()) && !p.loaded();
  };
  EXPECT_TRUE(refused(Asm()));                                   // no instruction
  EXPECT_TRUE(refused(Asm().I(99).I(Op::kMatch)));               // unknown op
  EXPECT_TRUE(refused(Asm().I(Op::kJump, 7).I(Op::kMatch)));     // target out of range
  EXPECT_TRUE(refused(Asm().I(Op::kSplit, 0, 9).I(Op::kMatch))); // second target out of range
  EXPECT_TRUE(refused(Asm().I(Op::kClass, 0).I(Op::kMatch)));    // no class 0
  EXPECT_TRUE(refused(Asm().I(Op::kByte, 256).I(Op::kMatch)));   // not a byte
  EXPECT_TRUE(refused(Asm().I(Op::kByte, 'a')));                 // falls off the end
  Asm partial_class = Asm().I(Op::kMatch);
  partial_class.classes.assign(5, 0);
  EXPECT_TRUE(refused(partial_class));
  const uint8_t short_words[6] = {1, 0, 0, 0, 0, 0};
  EXPECT_FALSE(p.Load(short_words, sizeof short_words));
  EXPECT_FALSE(p.Load(nullptr, 0));
  Asm big;
  for (uint32_t i = 0; i < PatternProgram::kMaxInstructions; ++i) big.I(Op::kJump, i + 1);
  big.I(Op::kMatch);
  EXPECT_TRUE(refused(big));
}

}  // namespace
}  // namespace http_core

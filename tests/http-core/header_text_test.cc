// Header names and values as the message keeps them, checked at every offset of an eight-byte word.
#include "header_text.h"

#include <gtest/gtest.h>

#include <string>

#include "text_arena.h"

namespace http_core {
namespace {

TEST(HeaderText, LowerCasesOnlyAsciiLettersWhereverTheyFall) {
  // Neighbours of 'A' and 'Z', and bytes whose low seven bits are letters.
  const std::string all = "@AZ[`az{\xc1\xda\x80\xff 09-_";
  for (size_t pad = 0; pad < 9; ++pad) {
    std::string text = std::string(pad, 'Q') + all + all;
    std::string want = text;
    for (char& c : want) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    LowerAscii(text.data(), text.size());
    EXPECT_EQ(text, want) << pad;
  }
}

// Every length up to 20, so that each way through (bytes, two overlapping halves, words and an
// overlapping tail) is taken; a byte JSON must escape is reported wherever it falls.
TEST(HeaderText, LowerCasesShortNamesAndReportsBytesToEscape) {
  for (size_t len = 0; len <= 20; ++len) {
    std::string text;
    for (size_t k = 0; k < len; ++k) text += static_cast<char>("Content-TYPE-X"[k % 14]);
    std::string want = text;
    for (char& c : want) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    std::string lowered = text;
    EXPECT_TRUE(LowerAscii(lowered.data(), lowered.size())) << len;
    EXPECT_EQ(lowered, want) << len;
    for (size_t at = 0; at < len; ++at) {
      for (char bad : {'"', '\\', '\x01', '\x7f', '\x80', '\xff'}) {
        std::string odd = text;
        odd[at] = bad;
        const bool plain = LowerAscii(odd.data(), odd.size());
        EXPECT_EQ(plain, bad == '\x7f') << len << " at " << at << " byte " << int(bad);
        EXPECT_EQ(odd[at], bad) << len << " at " << at;
      }
    }
  }
}

// The arena forms (16 bytes at a time, reading and writing past the text into the arena's slack) give
// what the word-at-a-time forms give, for every length up to 40 and every position of an odd byte.
TEST(HeaderText, ArenaFormsMatchTheWordForms) {
  for (size_t len = 0; len <= 40; ++len) {
    std::string base;
    for (size_t k = 0; k < len; ++k) base += static_cast<char>("Accept-Encoding-X"[k % 17]);
    for (size_t at = 0; at <= len; ++at) {
      for (char odd : {'Q', '"', '\\', '\x01', '\x80', '\r', '\n', ' ', '\t'}) {
        std::string text = base;
        if (at < len) text[at] = odd;
        TextArena arena;
        arena.Append("GET /x", 6);  // the text does not start the arena
        arena.Append(text.data(), text.size());
        char* p = arena.data() + 6;
        std::string words = text;
        const bool plain = LowerAscii(words.data(), words.size());
        EXPECT_EQ(LowerAsciiInArena(p, len), plain) << len << " at " << at << " byte " << int(odd);
        EXPECT_EQ(std::string(p, len), words) << len << " at " << at;
        EXPECT_EQ(std::string(arena.data(), 6), "GET /x");
        std::string value = text;
        const size_t want = NormalizeHeaderValue(value.data(), value.size());
        arena.clear();
        arena.Append(text.data(), text.size());
        EXPECT_EQ(NormalizeHeaderValueInArena(arena.data(), len), want) << len << " at " << at;
        EXPECT_EQ(std::string(arena.data(), want), value.substr(0, want)) << len << " at " << at;
      }
    }
  }
}

TEST(HeaderText, FoldLineBreaksBecomeSpacesAndTrailingWhitespaceGoes) {
  for (size_t pad = 0; pad < 17; ++pad) {
    std::string text = std::string(pad, 'v') + "a\r\n b\t \t";
    const size_t len = NormalizeHeaderValue(text.data(), text.size());
    EXPECT_EQ(text.substr(0, len), std::string(pad, 'v') + "a   b") << pad;
  }
  std::string blank = " \t ";
  EXPECT_EQ(NormalizeHeaderValue(blank.data(), blank.size()), 0u);
}

}  // namespace
}  // namespace http_core

#include "json_writer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace http_core {
namespace {

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

// Whether the body path takes s as UTF-8; when it does, it must write the same literal as Json().
bool Utf8(std::string_view s) {
  std::string out = "x";
  const bool ok = AppendJsonStringIfUtf8(out, s);
  EXPECT_EQ(out, ok ? "x" + Json(s) : "x");
  return ok;
}

std::string B64(std::string_view s) {
  std::string out;
  AppendBase64(out, reinterpret_cast<const uint8_t*>(s.data()), s.size());
  return out;
}

std::string Iso(int64_t micros) {
  std::string out;
  AppendIso8601Micros(out, micros);
  return out;
}

std::string Ms(int64_t micros) {
  std::string out;
  AppendMillisFromMicros(out, micros);
  return out;
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Json("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(Json(std::string_view("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(Json("\x7f/"), "\"\x7f/\"");  // DEL and '/' need no escape
}

// Both string writers skip 64, 16 or 8 bytes at a time: every byte that needs escaping is found
// wherever it falls in a block, and next to bytes (0x7f, 0x80..0xff, 0x1f+1) that the block test must
// not confuse.
TEST(JsonWriter, Utf8BodyEscapesEveryByteWhereverItFallsInAWord) {
  std::vector<size_t> lengths;
  for (size_t len = 0; len <= 40; ++len) lengths.push_back(len);
  for (size_t len : {63, 64, 65, 79, 80, 81, 127, 128, 129, 150}) lengths.push_back(len);
  const std::string specials[] = {std::string(1, '\0'), "\x1f", "\"", "\\", "\n"};
  const std::string expected[] = {"\\u0000", "\\u001f", "\\\"", "\\\\", "\\n"};
  const std::string fillers[] = {"a", " ", "\x7f", "!", "]", "\xc3\xa9"};
  for (const std::string& filler : fillers) {
    for (size_t len : lengths) {
      std::string plain;
      while (plain.size() < len) plain += filler;
      std::string out;
      EXPECT_TRUE(AppendJsonStringIfUtf8(out, plain));
      EXPECT_EQ(out, "\"" + plain + "\"");
      EXPECT_EQ(Json(plain), out);
      for (size_t k = 0; k < 5; ++k) {
        for (size_t at = 0; at <= plain.size(); at += filler.size()) {
          const std::string text = plain.substr(0, at) + specials[k] + plain.substr(at);
          const std::string want = "\"" + plain.substr(0, at) + expected[k] + plain.substr(at) + "\"";
          std::string got;
          EXPECT_TRUE(AppendJsonStringIfUtf8(got, text));
          EXPECT_EQ(got, want) << "filler " << filler.size() << " len " << len << " at " << at;
          EXPECT_EQ(Json(text), want) << "filler " << filler.size() << " len " << len << " at " << at;
        }
      }
    }
  }
  EXPECT_TRUE(Utf8("0123456789abcdef\xc3\xa9 0123456789abcdef"));
  EXPECT_FALSE(Utf8("0123456789abcdef\xc3 0123456789abcdef"));
}

// An invalid byte anywhere in a word, after plain words, is replaced in text fields and turns a
// body to base64; a sequence crossing a word boundary is still one character.
TEST(JsonWriter, InvalidByteIsFoundWhereverItFallsInAWord) {
  for (size_t at = 0; at < 140; ++at) {
    std::string text(140, 'a');
    text[at] = '\xff';
    std::string want = "\"" + text.substr(0, at) + "\xEF\xBF\xBD" + text.substr(at + 1) + "\"";
    EXPECT_EQ(Json(text), want) << at;
    EXPECT_FALSE(Utf8(text)) << at;
    if (at + 3 > text.size()) continue;
    std::string euro(140, 'b');
    euro.replace(at, 3, "\xe2\x82\xac");
    EXPECT_TRUE(Utf8(euro)) << at;
  }
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(Json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(Json("a\xe9z"), "\"a\xEF\xBF\xBDz\"");          // Latin-1 byte
  EXPECT_EQ(Json("\xc0\xaf"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong '/'
  EXPECT_EQ(Json("\xed\xa0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_EQ(Json("x\xe2\x82"), "\"x\xEF\xBF\xBD\xEF\xBF\xBD\"");  // truncated sequence
}

TEST(JsonWriter, ValidatesUtf8) {
  EXPECT_TRUE(Utf8(""));
  EXPECT_TRUE(Utf8("plain ascii text that is longer than eight bytes"));
  EXPECT_TRUE(Utf8("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(Utf8("\x80"));
  EXPECT_FALSE(Utf8("\xc1\xbf"));              // overlong
  EXPECT_FALSE(Utf8("\xe0\x9f\xbf"));          // overlong 3-byte
  EXPECT_FALSE(Utf8("\xed\xbf\xbf"));          // surrogate
  EXPECT_FALSE(Utf8("\xf4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(Utf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(Utf8("abcdefgh\xe2\x82"));      // cut after an ASCII run
  EXPECT_FALSE(Utf8("\xff"));
}

TEST(JsonWriter, Base64FollowsRfc4648Vectors) {
  EXPECT_EQ(B64(""), "");
  EXPECT_EQ(B64("f"), "Zg==");
  EXPECT_EQ(B64("fo"), "Zm8=");
  EXPECT_EQ(B64("foo"), "Zm9v");
  EXPECT_EQ(B64("foob"), "Zm9vYg==");
  EXPECT_EQ(B64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(B64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(B64(std::string_view("\x00\xff\xfe", 3)), "AP/+");
}

TEST(JsonWriter, Iso8601FromMicrosIsExactArithmetic) {
  EXPECT_EQ(Iso(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(Iso(1), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(Iso(951782400000000), "2000-02-29T00:00:00.000000Z");        // leap day
  EXPECT_EQ(Iso(1700000000123456), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(Iso(4102444799999999), "2099-12-31T23:59:59.999999Z");
  EXPECT_EQ(Iso(1709164800000000), "2024-02-29T00:00:00.000000Z");
  EXPECT_EQ(Iso(4107542400000000), "2100-03-01T00:00:00.000000Z");       // 2100 is not leap
}

TEST(JsonWriter, MillisKeepMicrosecondPrecisionWithoutTrailingZeros) {
  EXPECT_EQ(Ms(0), "0");
  EXPECT_EQ(Ms(412), "0.412");
  EXPECT_EQ(Ms(2500), "2.5");
  EXPECT_EQ(Ms(3000), "3");
  EXPECT_EQ(Ms(1234567), "1234.567");
  EXPECT_EQ(Ms(10), "0.01");
}

TEST(JsonWriter, WritesUnsignedIntegers) {
  const uint64_t values[] = {0, 7, 9, 10, 42, 99, 100, 101, 999, 1000, 4096, 65535, 1234567890123,
                             18446744073709551615ull};
  for (uint64_t v : values) {
    std::string out;
    AppendUint(out, v);
    EXPECT_EQ(out, std::to_string(v));
  }
}

// The writer that keeps the last second's text writes what WriteIso8601Micros writes, within a
// second, across seconds, days and years, and when time goes back.
TEST(JsonWriter, TimestampWriterMatchesTheFullComputation) {
  TimestampWriter w;
  const int64_t times[] = {1700000000123456, 1700000000999999, 1700000001000000, 1700000000000001,
                           0, 86399999999, 86400000000, 951782400000000, 4102444799999999,
                           4102444800000000, 4102444800000001};
  for (int64_t t : times) {
    char got[27];
    char* end = w.Write(got, t);
    ASSERT_EQ(end - got, 27) << t;
    EXPECT_EQ(std::string(got, 27), Iso(t)) << t;
  }
}

}  // namespace
}  // namespace http_core

#include "json_redaction.h"

#include <gtest/gtest.h>

#include <string>

namespace http_core {
namespace {

NameList Keys(std::string_view csv) {
  NameList n;
  EXPECT_TRUE(n.Parse(csv));
  return n;
}

struct Outcome {
  JsonRedaction r;
  std::string text;  // the redacted text, or the input when nothing was replaced
};

Outcome Redact(std::string_view in, std::string_view keys = "password,token,secret") {
  std::string out;
  const NameList names = Keys(keys);
  Outcome run{RedactJson(in, names, out), ""};
  run.text = run.r.values > 0 ? out : std::string(in);
  if (run.r.values == 0) EXPECT_TRUE(out.empty());
  return run;
}

TEST(JsonRedaction, ReplacesValuesOfListedKeysAtAnyDepthAndKeepsTheRest) {
  const Outcome run = Redact(R"({"user":"ann","password":"hunter2","nested":{"a":[1,{"token":"t0k"}]},"n":1})");
  EXPECT_EQ(run.text, R"({"user":"ann","password":"[REDACTED]","nested":{"a":[1,{"token":"[REDACTED]"}]},"n":1})");
  EXPECT_EQ(run.r.values, 2u);
  EXPECT_EQ(run.r.end, JsonRedaction::End::kComplete);
}

TEST(JsonRedaction, ReplacesAWholeValueOfAnyType) {
  EXPECT_EQ(Redact(R"({"secret":{"a":"}","b":[1,2,{"c":"]"}]},"x":true})").text,
            R"({"secret":"[REDACTED]","x":true})");
  EXPECT_EQ(Redact(R"({"secret":[1,2]})").text, R"({"secret":"[REDACTED]"})");
  EXPECT_EQ(Redact(R"({"secret":-12.5e3})").text, R"({"secret":"[REDACTED]"})");
  EXPECT_EQ(Redact(R"({"secret":null,"token":false})").text, R"({"secret":"[REDACTED]","token":"[REDACTED]"})");
}

TEST(JsonRedaction, KeysMatchCaseInsensitivelyAfterEscapesAreDecoded) {
  EXPECT_EQ(Redact(R"({"PassWord":"a","pass\u0077ord":"b","\u0050ASSWORD":"c","pass\"word":"d"})").text,
            R"({"PassWord":"[REDACTED]","pass\u0077ord":"[REDACTED]","\u0050ASSWORD":"[REDACTED]","pass\"word":"d"})");
  // A key with non-ASCII characters or longer than any name is not listed.
  EXPECT_EQ(Redact(R"({"passwörd":"a","tokentokentoken":"b","to\u00e9ken":"c"})").r.values, 0u);
}

TEST(JsonRedaction, ValuesThatLookLikeKeysAreNotKeys) {
  const Outcome run = Redact(R"(["password","token",{"k":"password"}])");
  EXPECT_EQ(run.r.values, 0u);
  EXPECT_EQ(run.r.end, JsonRedaction::End::kComplete);
}

TEST(JsonRedaction, EscapedQuotesAndUnicodeInsideValuesAreSkipped) {
  EXPECT_EQ(Redact(R"({"a":"x\"password\":\"y","token":"a\\\"b\u20ac","z":"\ud83d\ude00"})").text,
            R"({"a":"x\"password\":\"y","token":"[REDACTED]","z":"\ud83d\ude00"})");
}

TEST(JsonRedaction, JsonLinesAreReadValueAfterValue) {
  EXPECT_EQ(Redact("{\"token\":1}\n{\"token\":2}\n[]\n").text,
            "{\"token\":\"[REDACTED]\"}\n{\"token\":\"[REDACTED]\"}\n[]\n");
}

TEST(JsonRedaction, WhitespaceEverywhereIsKept) {
  EXPECT_EQ(Redact(" { \"token\" :\t\"x\" ,\r\n \"a\" : [ ] } ").text, " { \"token\" :\t\"[REDACTED]\" ,\r\n \"a\" : [ ] } ");
}

TEST(JsonRedaction, MalformedTextStopsTheScanAndKeepsWhatWasReplaced) {
  Outcome run = Redact(R"({"token":"x","a":tru,"password":"p"})");
  EXPECT_EQ(run.r.end, JsonRedaction::End::kMalformed);
  EXPECT_EQ(run.text, R"({"token":"[REDACTED]","a":tru,"password":"p"})");
  for (const char* bad : {"{\"a\" 1}", "{\"a\":1,}", "[1 2]", "{'a':1}", "{\"a\":\"\x01\"}",
                          "{\"a\":\"\\x\"}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "}", "{\"a\":1]",
                          "{\"a\":\"\\u12G4\"}", "hello"}) {
    run = Redact(bad);
    EXPECT_TRUE(run.r.end == JsonRedaction::End::kMalformed || run.r.end == JsonRedaction::End::kCut) << bad;
    EXPECT_EQ(run.r.values, 0u) << bad;
  }
  // An unquoted value of a listed key is a syntax error: the body is left as it is.
  run = Redact(R"({"password":hunter2})");
  EXPECT_EQ(run.r.end, JsonRedaction::End::kMalformed);
  EXPECT_EQ(run.r.values, 0u);
}

TEST(JsonRedaction, TruncatedTextIsRedactedToItsEnd) {
  Outcome run = Redact(R"({"a":[1,2],"token":"abcdef)");
  EXPECT_EQ(run.r.end, JsonRedaction::End::kCut);
  EXPECT_EQ(run.text, R"({"a":[1,2],"token":"[REDACTED]")");
  run = Redact(R"({"secret":{"inner":[1,2)");
  EXPECT_EQ(run.text, R"({"secret":"[REDACTED]")");
  // Cut in every possible place, the scan ends as complete or cut, never malformed, and no byte
  // of a listed value survives.
  const std::string full = R"({"user":"ann","pa\u0073sword":"s3cr3t-value","list":[true,false,null,-1.5e+2],"token":{"k":"s3cr3t-value"}})";
  for (size_t n = 0; n <= full.size(); ++n) {
    run = Redact(std::string_view(full).substr(0, n));
    EXPECT_NE(run.r.end, JsonRedaction::End::kMalformed) << n;
    EXPECT_EQ(run.text.find("s3cr3t"), std::string::npos) << n << ": " << run.text;
  }
}

TEST(JsonRedaction, NestingDeeperThanTheLimitStopsTheScan) {
  std::string deep(kMaxJsonDepth, '[');
  deep += "{\"token\":1}";
  deep += std::string(kMaxJsonDepth, ']');
  Outcome run = Redact(deep);
  EXPECT_EQ(run.r.end, JsonRedaction::End::kTooDeep);
  EXPECT_EQ(run.r.values, 0u);
  // One level less fits, and the value deep inside is found.
  std::string fits(kMaxJsonDepth - 1, '[');
  fits += "{\"token\":1}" + std::string(kMaxJsonDepth - 1, ']');
  run = Redact(fits);
  EXPECT_EQ(run.r.end, JsonRedaction::End::kComplete);
  EXPECT_EQ(run.r.values, 1u);
  // Inside a replaced value nesting is only counted, so any depth is replaced whole.
  std::string huge = "{\"token\":" + std::string(100000, '[') + std::string(100000, ']') + ",\"a\":1}";
  run = Redact(huge);
  EXPECT_EQ(run.text, R"({"token":"[REDACTED]","a":1})");
}

TEST(JsonRedaction, AnEmptyListScansNothing) {
  std::string out;
  NameList none;
  EXPECT_EQ(RedactJson(R"({"password":"x"})", none, out).values, 0u);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace http_core

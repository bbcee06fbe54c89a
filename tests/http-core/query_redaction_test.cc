#include "query_redaction.h"

#include <gtest/gtest.h>

#include <string>

namespace http_core {
namespace {

NameList Names(std::string_view csv) {
  NameList n;
  EXPECT_TRUE(n.Parse(csv));
  return n;
}

std::string Url(std::string_view url, std::string_view names = "token,api_key,sig") {
  std::string out;
  return RedactUrlQuery(url, Names(names), out) > 0 ? out : std::string(url);
}

TEST(QueryRedaction, ReplacesOnlyTheValuesOfListedParameters) {
  EXPECT_EQ(Url("/a?x=1&token=abc&y=2&api_key=k"), "/a?x=1&token=[REDACTED]&y=2&api_key=[REDACTED]");
  EXPECT_EQ(Url("/a?x=1"), "/a?x=1");
  EXPECT_EQ(Url("/token=abc"), "/token=abc");
  EXPECT_EQ(Url("https://h.example/p?sig=zz#frag"), "https://h.example/p?sig=[REDACTED]#frag");
}

TEST(QueryRedaction, NamesMatchCaseInsensitivelyAfterPercentDecoding) {
  EXPECT_EQ(Url("/a?TOKEN=1&Tok%65n=2&to%6Ben=3&api%5Fkey=4"),
            "/a?TOKEN=[REDACTED]&Tok%65n=[REDACTED]&to%6Ben=[REDACTED]&api%5Fkey=[REDACTED]");
  EXPECT_EQ(Url("/a?api+key=1", "api key"), "/a?api+key=[REDACTED]");
  // A broken escape is kept as it is, and then it is not the name.
  EXPECT_EQ(Url("/a?tok%6=1&token%=2"), "/a?tok%6=1&token%=2");
}

TEST(QueryRedaction, EmptyValuesRepeatsAndSeparators) {
  EXPECT_EQ(Url("/a?token=&token&token=x&token=y"), "/a?token=&token&token=[REDACTED]&token=[REDACTED]");
  EXPECT_EQ(Url("/a?a=1;token=2"), "/a?a=1;token=[REDACTED]");
  EXPECT_EQ(Url("/a?token=a=b&c"), "/a?token=[REDACTED]&c");
  EXPECT_EQ(Url("/a??token=1"), "/a??token=1");
  EXPECT_EQ(Url("/a?&&token=1&&"), "/a?&&token=[REDACTED]&&");
}

TEST(QueryRedaction, FormBodiesUseTheSameRules) {
  std::string out;
  EXPECT_EQ(RedactUrlencoded("user=ann&password=p%40ss&x=", Names("password"), out), 1u);
  EXPECT_EQ(out, "user=ann&password=[REDACTED]&x=");
  out.clear();
  EXPECT_EQ(RedactUrlencoded("user=ann", Names("password"), out), 0u);
  EXPECT_EQ(out, "user=ann");
}

TEST(QueryRedaction, NameListsAreBounded) {
  NameList n;
  EXPECT_FALSE(n.Parse(std::string(NameList::kMaxNameBytes + 1, 'a')));
  EXPECT_TRUE(n.empty());
  EXPECT_TRUE(n.Parse(" A , ,b\t"));
  EXPECT_TRUE(n.Contains("a"));
  EXPECT_TRUE(n.Contains("b"));
  EXPECT_FALSE(n.MatchesRaw(std::string(10000, 'a'), true));
}

}  // namespace
}  // namespace http_core

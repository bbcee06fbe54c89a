#include "start_line.h"

#include <gtest/gtest.h>

#include <string_view>

namespace http_core {
namespace {

bool Request(std::string_view s) {
  return LooksLikeRequestLine(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
bool Status(std::string_view s) {
  return LooksLikeStatusLine(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(StartLine, RecognisesWholeRequestLines) {
  EXPECT_TRUE(Request("GET / HTTP/1.1\r\n"));
  EXPECT_TRUE(Request("M-SEARCH * HTTP/1.1\r\n"));
  EXPECT_TRUE(Request("CONNECT host:443 HTTP/1.0\n"));
  EXPECT_FALSE(Request("GET / HTTP/1.1"));           // the line has not ended
  EXPECT_FALSE(Request("GET /\r\n"));                 // HTTP/0.9
  EXPECT_FALSE(Request("GET / HTTP/2.0\r\n"));
  EXPECT_FALSE(Request("get / HTTP/1.1\r\n"));
  EXPECT_FALSE(Request("GET  / HTTP/1.1\r\n"));       // empty target
  EXPECT_FALSE(Request("GET / HTTP/1.1 x\r\n"));
  EXPECT_FALSE(Request("GET /a b HTTP/1.1\r\n"));
  EXPECT_FALSE(Request("ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n"));  // no method is that long
}

TEST(StartLine, RecognisesStatusLines) {
  EXPECT_TRUE(Status("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(Status("HTTP/1.0 404\r\n"));
  EXPECT_TRUE(Status("HTTP/1.1 200\n"));
  EXPECT_FALSE(Status("HTTP/1.1 20 OK\r\n"));
  EXPECT_FALSE(Status("HTTP/2 200 OK\r\n"));
  EXPECT_FALSE(Status("HTTP/1.1 2000 OK\r\n"));
  EXPECT_FALSE(Status("xHTTP/1.1 200 OK\r\n"));
}

TEST(StartLine, FirstByteRulesOutMostLines) {
  EXPECT_TRUE(CouldStartLine(true, 'G'));
  EXPECT_FALSE(CouldStartLine(true, 'g'));
  EXPECT_FALSE(CouldStartLine(true, '{'));
  EXPECT_TRUE(CouldStartLine(false, 'H'));
  EXPECT_FALSE(CouldStartLine(false, 'G'));
}

TEST(StartLine, RecognisesTheHttp2PrefaceLine) {
  const std::string_view preface = "PRI * HTTP/2.0\r\n";
  EXPECT_TRUE(IsHttp2Preface(reinterpret_cast<const uint8_t*>(preface.data()), preface.size()));
  const std::string_view other = "PRI * HTTP/1.1\r\n";
  EXPECT_FALSE(IsHttp2Preface(reinterpret_cast<const uint8_t*>(other.data()), other.size()));
}

}  // namespace
}  // namespace http_core

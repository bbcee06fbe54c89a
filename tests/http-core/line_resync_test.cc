// The search for a message start, fed in arbitrary pieces.
#include "line_resync.h"

#include <gtest/gtest.h>

#include <string>

namespace http_core {
namespace {

const uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

TEST(LineResync, FindsARequestLineAfterSkippedLines) {
  LineResync r;
  const std::string in = "garbage\r\nmore junk\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto res = r.Scan(/*is_client=*/true, false, Bytes(in), in.size(), 1, 8192);
  EXPECT_EQ(res.found, LineResync::Found::kStartHere);
  EXPECT_EQ(res.used, in.find("GET"));
  EXPECT_EQ(r.skipped(), in.find("GET"));
}

TEST(LineResync, NotAtALineStartSkipsToTheNextLine) {
  LineResync r;
  r.Begin(/*at_line_start=*/false);
  const std::string in = "GET / HTTP/1.1\r\nHTTP/1.1 200 OK\r\n";
  const auto res = r.Scan(/*is_client=*/false, false, Bytes(in), in.size(), 1, 8192);
  EXPECT_EQ(res.found, LineResync::Found::kStartHere);
  EXPECT_EQ(res.used, in.find("HTTP/1.1 200"));
}

TEST(LineResync, StartLineSplitAcrossPiecesIsCarriedWithItsFirstTime) {
  LineResync r;
  const std::string a = "HTTP/1.", b = "1 204 No Content\r\nrest";
  auto res = r.Scan(false, false, Bytes(a), a.size(), 7, 8192);
  EXPECT_EQ(res.found, LineResync::Found::kNothing);
  EXPECT_EQ(res.used, a.size());
  res = r.Scan(false, false, Bytes(b), b.size(), 9, 8192);
  EXPECT_EQ(res.found, LineResync::Found::kStartCarried);
  EXPECT_EQ(res.used, b.find("rest"));
  EXPECT_EQ(r.carried_ts(), 7);
  EXPECT_EQ(r.TakeLine(), "HTTP/1.1 204 No Content\r\n");
  EXPECT_EQ(r.skipped(), 0u);
}

TEST(LineResync, LineLongerThanMaxLineIsPassedOver) {
  LineResync r;
  const std::string in = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n";
  const auto res = r.Scan(true, false, Bytes(in), in.size(), 1, 64);
  EXPECT_EQ(res.found, LineResync::Found::kNothing);
  EXPECT_EQ(r.skipped(), in.size());
}

TEST(LineResync, Http2PrefaceIsReportedWithTheBytesBeforeIt) {
  LineResync r;
  const std::string a = "PRI * HT", b = "TP/2.0\r\n\r\nSM\r\n\r\n";
  EXPECT_EQ(r.Scan(true, true, Bytes(a), a.size(), 1, 8192).found, LineResync::Found::kNothing);
  const auto res = r.Scan(true, true, Bytes(b), b.size(), 2, 8192);
  EXPECT_EQ(res.found, LineResync::Found::kHttp2Preface);
  EXPECT_EQ(res.used, 0u);
  EXPECT_EQ(r.carried(), a);  // what came before this piece; the rest is data[used..]
}

TEST(LineResync, DroppedCarryCountsAsSkippedAndDiscardedDoesNot) {
  LineResync r;
  const std::string a = "GET /x";
  r.Scan(true, false, Bytes(a), a.size(), 1, 8192);
  r.Discard();
  EXPECT_EQ(r.skipped(), 0u);
  r.Scan(true, false, Bytes(a), a.size(), 1, 8192);
  r.Drop();
  EXPECT_EQ(r.skipped(), a.size());
  EXPECT_TRUE(r.carried().empty());
}

}  // namespace
}  // namespace http_core

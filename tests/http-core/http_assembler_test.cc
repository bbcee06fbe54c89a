// Behaviour of one connection that is easier to state in code than in a fixture: large and random
// input, and bounds that only show over megabytes.
#include "http_assembler.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "decode_helpers.h"

namespace http_core::test {
namespace {

TEST(HttpAssembler, HugeBodyKeepsOnlyMaxBodySizeAndCountsEveryByte) {
  const std::string body(5 << 20, 'z');
  EngineOptions options = TestOptions();
  options.limits.max_body_size = 1000;
  auto r = Decode({Server("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n\r\n" + body)},
                  options);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0]["bodySize"].as_int64(), 5 << 20);
  EXPECT_EQ(r.messages[0]["body"].as_string().size(), 1000u);
  EXPECT_TRUE(r.messages[0]["bodyTruncated"].as_bool());
}

TEST(HttpAssembler, EndlessHeaderSectionStopsAtTheCap) {
  std::vector<Step> steps = {Client("GET / HTTP/1.1\r\n")};
  for (int i = 0; i < 2000; ++i) steps.push_back(Client("X-Filler-" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n"));
  auto r = Decode(steps);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0]["error"].as_string(), "HPE_USER: header section exceeds maxHeaderBytes");
  EXPECT_TRUE(r.messages[0]["incomplete"].as_bool());
  // Everything after the error was looked through for a request line, not kept.
  EXPECT_GT(r.stats["skippedBytes"].as_int64(), 100000);
}

TEST(HttpAssembler, TooManyHeaderLinesIsAnError) {
  std::string req = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 1100; ++i) req += "a:1\r\n";
  req += "\r\n";
  auto r = Decode({Client(req)});
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0]["error"].as_string(), "HPE_USER: more header lines than maxHeaderCount");
}

TEST(HttpAssembler, ManyPipelinedRequestsWithoutResponsesStayBounded) {
  std::string reqs;
  for (int i = 0; i < 5000; ++i) reqs += "GET /" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  auto r = Decode({Client(reqs), Server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")});
  ASSERT_EQ(r.messages.size(), 5001u);
  EXPECT_EQ(r.stats["pendingOverflows"].as_int64(), 5000 - 256);
  EXPECT_EQ(r.stats["unpairedRequests"].as_int64(), 5000 - 256);
  // The oldest requests keep their place: the response answers the first.
  EXPECT_EQ(r.messages.back()["exchange"].as_int64(), 1);
  EXPECT_FALSE(r.messages.back().contains("unpaired"));
}

// Mutated, re-split, gapped traffic: the core must never crash, must always emit parseable lines,
// and must account every kept body byte back to zero.
TEST(HttpAssembler, RandomisedTrafficNeverBreaksTheOutput) {
  const std::string requests =
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
      "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  const std::string responses =
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nT: 1\r\n\r\n"
      "HTTP/1.0 200 OK\r\n\r\nclose-delimited";
  std::mt19937 rng(12345);
  EngineOptions options = TestOptions();
  options.limits.max_body_size = 4;
  options.max_buffered_bytes = 16;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string c = requests, s = responses;
    for (std::string* str : {&c, &s}) {
      const int mutations = static_cast<int>(rng() % 6);
      for (int m = 0; m < mutations; ++m) {
        const size_t at = rng() % str->size();
        switch (rng() % 3) {
          case 0: (*str)[at] = static_cast<char>(rng() & 0xFF); break;
          case 1: str->erase(at, rng() % 8); break;
          default: str->insert(at, std::string(rng() % 4 + 1, static_cast<char>(rng() & 0xFF)));
        }
        if (str->empty()) *str = "x";
      }
    }
    std::vector<Step> steps;
    size_t ci = 0, si = 0;
    while (ci < c.size() || si < s.size()) {
      const bool client = si >= s.size() || (ci < c.size() && rng() % 2 == 0);
      std::string& src = client ? c : s;
      size_t& pos = client ? ci : si;
      const size_t n = std::min(src.size() - pos, static_cast<size_t>(rng() % 40 + 1));
      steps.push_back(client ? Client(src.substr(pos, n), iter) : Server(src.substr(pos, n), iter));
      pos += n;
      if (rng() % 25 == 0) steps.push_back(GapOf(client ? Direction::kClientToServer : Direction::kServerToClient, rng() % 30 + 1));
    }
    steps.push_back(CloseWith(static_cast<CloseReason>(rng() % 5)));
    auto r = Decode(steps, options);  // Decode checks the output parses and the budget drains
    ASSERT_FALSE(HasFatalFailure()) << "iteration " << iter;
    for (auto& m : r.messages) {
      ASSERT_TRUE(m.contains("exchange"));
      ASSERT_LE(m.contains("body") ? m["body"].as_string().size() : 0u, 8u);  // base64 of 4 bytes
    }
  }
}

}  // namespace
}  // namespace http_core::test

#include "engine.h"

#include <gtest/gtest.h>

#include <string>

#include "batch_writer.h"
#include "decode_helpers.h"

namespace http_core {
namespace {

const uint8_t kClientIp[4] = {10, 1, 1, 1};
const uint8_t kServerIp[4] = {10, 2, 2, 2};

boost::json::object Stats(Engine& e) { return boost::json::parse(e.StatsJson()).as_object(); }

test::DecodeResult Output(Engine& e) {
  test::DecodeResult r;
  test::ParseOutput(e, &r);
  return r;
}

TEST(Engine, MalformedBatchKeepsEarlierEventsAndCountsTheRest) {
  Engine engine(test::TestOptions());
  BatchWriter w;
  w.Open(1, kClientIp, 5000, kServerIp, 80);
  w.Data(1, Direction::kClientToServer, "GET / HTTP/1.1\r\n\r\n");
  std::vector<uint8_t> b = w.bytes();
  b.insert(b.end(), {2, 0, 0, 0, 0xFF, 0, 0, 0});  // a truncated header
  EXPECT_EQ(engine.Feed(b.data(), b.size()), -1);
  auto stats = Stats(engine);
  EXPECT_EQ(stats["malformedBatches"].as_int64(), 1);
  EXPECT_EQ(stats["droppedBatchBytes"].as_int64(), 8);
  EXPECT_EQ(stats["requests"].as_int64(), 1);
  auto out = Output(engine);
  ASSERT_EQ(out.logs.size(), 1u);
  EXPECT_EQ(out.logs[0]["level"].as_string(), "warn");
  EXPECT_EQ(out.logs[0]["reason"].as_string(), "event header truncated");
}

TEST(Engine, PlacementEndsEveryMessageAndOnlyAnObjectIsAccepted) {
  Engine engine(test::TestOptions());
  auto configure = [&engine](const std::string& text) {
    return engine.Configure(static_cast<uint32_t>(Engine::Option::kPlacement),
                            reinterpret_cast<const uint8_t*>(text.data()), text.size());
  };
  EXPECT_FALSE(configure(""));
  EXPECT_FALSE(configure("\"web-1\""));
  EXPECT_FALSE(configure("{\"pod\":\"" + std::string(65536, 'x') + "\"}"));
  ASSERT_TRUE(configure("{\"pod\":\"web-1\",\"node\":\"n2\"}"));
  BatchWriter w;
  w.Open(1, kClientIp, 5000, kServerIp, 80);
  w.Data(1, Direction::kClientToServer, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  w.Data(1, Direction::kServerToClient, "HTTP/1.1 204 No Content\r\n\r\n");
  ASSERT_EQ(engine.Feed(w.bytes().data(), w.bytes().size()), 0);
  EXPECT_EQ(engine.output_messages(), 3u);
  const std::string_view text = engine.output().view();
  size_t lines = 0;
  for (size_t pos = 0, nl; (nl = text.find('\n', pos)) != std::string_view::npos; pos = nl + 1, ++lines) {
    EXPECT_TRUE(text.substr(pos, nl - pos).ends_with(",\"placement\":{\"pod\":\"web-1\",\"node\":\"n2\"}}"))
        << text.substr(pos, nl - pos);
  }
  EXPECT_EQ(lines, 3u);
  auto out = Output(engine);
  ASSERT_EQ(out.messages.size(), 3u);
  EXPECT_EQ(out.messages[2]["placement"].as_object().at("pod").as_string(), "web-1");
  engine.ClearOutput();
  EXPECT_TRUE(engine.output().empty());
  EXPECT_EQ(engine.output_messages(), 0u);
}

TEST(Engine, EventsOfUnknownConnectionsAreCountedAndIgnored) {
  Engine engine(test::TestOptions());
  BatchWriter w;
  w.Data(42, Direction::kClientToServer, "GET / HTTP/1.1\r\n\r\n");
  w.Gap(42, Direction::kClientToServer, 10);
  w.Close(42, CloseReason::kFin);
  EXPECT_EQ(engine.Feed(w.bytes().data(), w.bytes().size()), 0);
  EXPECT_EQ(Stats(engine)["unknownConnectionEvents"].as_int64(), 3);
  EXPECT_TRUE(engine.output().empty());
  EXPECT_TRUE(engine.records().empty());
}

TEST(Engine, DuplicateOpenIsIgnoredAndConnectionsBeyondTheCapAreRefused) {
  EngineOptions options = test::TestOptions();
  options.limits.max_connections = 2;
  Engine engine(options);
  BatchWriter w;
  w.Open(1, kClientIp, 1, kServerIp, 80);
  w.Open(1, kClientIp, 1, kServerIp, 80);
  w.Open(2, kClientIp, 2, kServerIp, 80);
  w.Open(3, kClientIp, 3, kServerIp, 80);
  engine.Feed(w.bytes().data(), w.bytes().size());
  auto stats = Stats(engine);
  EXPECT_EQ(stats["duplicateOpens"].as_int64(), 1);
  EXPECT_EQ(stats["connectionsRefused"].as_int64(), 1);
  EXPECT_EQ(stats["connectionsOpen"].as_int64(), 2);
}

TEST(Engine, ConnectionsAreIndependentAndNamedByTheirId) {
  Engine engine(test::TestOptions());
  BatchWriter w;
  w.Open(7, kClientIp, 1111, kServerIp, 8080);
  w.Open(9, kClientIp, 2222, kServerIp, 8080);
  w.Data(7, Direction::kClientToServer, "GET /seven HTTP/1.1\r\n");
  w.Data(9, Direction::kClientToServer, "GET /nine HTTP/1.1\r\n\r\n");
  w.Data(7, Direction::kClientToServer, "\r\n");
  w.Close(7, CloseReason::kFin);
  w.Close(9, CloseReason::kFin);
  engine.Feed(w.bytes().data(), w.bytes().size());
  auto out = Output(engine);
  ASSERT_EQ(out.messages.size(), 2u);
  EXPECT_EQ(out.messages[0]["connectionId"].as_string(), "9");
  EXPECT_EQ(out.messages[0]["path"].as_string(), "/nine");
  EXPECT_EQ(out.messages[0]["source"].as_object().at("port").as_int64(), 2222);
  EXPECT_EQ(out.messages[1]["connectionId"].as_string(), "7");
  EXPECT_EQ(out.messages[1]["exchange"].as_int64(), 1);
}

TEST(Engine, FinishClosesEveryConnectionAsShutdown) {
  Engine engine(test::TestOptions());
  BatchWriter w;
  w.Open(1, kClientIp, 1, kServerIp, 80);
  w.Data(1, Direction::kServerToClient, "HTTP/1.1 200 OK\r\n\r\nclose-delimited");
  engine.Feed(w.bytes().data(), w.bytes().size());
  EXPECT_TRUE(engine.output().empty());
  engine.Finish();
  auto out = Output(engine);
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_TRUE(out.messages[0]["incomplete"].as_bool());
  EXPECT_EQ(engine.open_connections(), 0u);
}

TEST(Engine, BudgetIsSharedByAllConnections) {
  EngineOptions options = test::TestOptions();
  options.max_buffered_bytes = 1000;
  Engine engine(options);
  BatchWriter w;
  for (uint64_t c = 1; c <= 4; ++c) {
    w.Open(c, kClientIp, static_cast<uint16_t>(c), kServerIp, 80);
    w.Data(c, Direction::kServerToClient,
           "HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n" + std::string(300, 'x'));
  }
  engine.Feed(w.bytes().data(), w.bytes().size());
  EXPECT_LE(engine.buffered_body_bytes(), 1000u);
  auto stats = Stats(engine);
  EXPECT_GE(stats["budgetCuts"].as_int64(), 1);
  w.Clear();
  for (uint64_t c = 1; c <= 4; ++c) w.Close(c, CloseReason::kFin);
  engine.Feed(w.bytes().data(), w.bytes().size());
  EXPECT_EQ(engine.buffered_body_bytes(), 0u);
  auto out = Output(engine);
  ASSERT_EQ(out.messages.size(), 4u);
  int truncated = 0;
  for (auto& m : out.messages) {
    EXPECT_EQ(m["bodySize"].as_int64(), 300);
    if (m["bodyTruncated"].as_bool()) ++truncated;
  }
  EXPECT_GE(truncated, 1);
}

TEST(Engine, ManyIdleConnectionsHoldLittle) {
  Engine engine(test::TestOptions());
  BatchWriter w;
  for (uint64_t c = 1; c <= 2000; ++c) {
    w.Open(c, kClientIp, static_cast<uint16_t>(c), kServerIp, 80);
    w.Data(c, Direction::kClientToServer, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  }
  engine.Feed(w.bytes().data(), w.bytes().size());
  EXPECT_EQ(engine.open_connections(), 2000u);
  EXPECT_EQ(engine.buffered_body_bytes(), 0u);
  EXPECT_EQ(Stats(engine)["requests"].as_int64(), 2000);
}

TEST(Engine, RedactionListIsCaseInsensitiveAndTrimmed) {
  EngineOptions options = test::TestOptions();
  options.redact_csv = " Authorization , X-Api-Key,,";
  Engine engine(options);
  BatchWriter w;
  w.Open(1, kClientIp, 1, kServerIp, 80);
  w.Data(1, Direction::kClientToServer, "GET / HTTP/1.1\r\nX-API-KEY: k\r\nauthorization: a\r\nCookie: c\r\n\r\n");
  engine.Feed(w.bytes().data(), w.bytes().size());
  auto out = Output(engine);
  ASSERT_EQ(out.messages.size(), 1u);
  auto& h = out.messages[0]["headers"].as_object();
  EXPECT_EQ(h.at("x-api-key").as_string(), "[REDACTED]");
  EXPECT_EQ(h.at("authorization").as_string(), "[REDACTED]");
  EXPECT_EQ(h.at("cookie").as_string(), "c");
}

TEST(Engine, StatsAreOneJsonObjectOfCounters) {
  Engine engine(test::TestOptions());
  auto stats = Stats(engine);
  for (const char* key : {"batches", "dataBytes", "requests", "responses", "skippedBytes",
                          "gapBytes", "parseErrors", "budgetCuts", "bufferedBodyBytes"}) {
    EXPECT_TRUE(stats.contains(key)) << key;
  }
  EXPECT_TRUE(stats["nonHttpBytes"].as_object().contains("tls"));
}

}  // namespace
}  // namespace http_core

// The core's one budget over everything it holds per connection (HeldLedger, Engine::Balance):
// partial header lines, carried lines, upgrade holds and kept bodies all count; past the limit the
// largest holders are cut, counted and flagged, and the connections around them still decode.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "batch_writer.h"
#include "decode_helpers.h"
#include "engine.h"

namespace http_core {
namespace {

const uint8_t kClientIp[4] = {10, 1, 1, 1};
const uint8_t kServerIp[4] = {10, 2, 2, 2};

boost::json::object Stats(Engine& e) { return boost::json::parse(e.StatsJson()).as_object(); }
int64_t Stat(Engine& e, const char* key) { return Stats(e)[key].as_int64(); }

test::DecodeResult TakeOutput(Engine& e) {
  test::DecodeResult r;
  test::ParseOutput(e, &r);
  e.ClearOutput();
  return r;
}

void Feed(Engine& e, BatchWriter& w) {
  ASSERT_EQ(e.Feed(w.bytes().data(), w.bytes().size()), 0);
  w.Clear();
}

EngineOptions WithBudget(uint64_t bytes) {
  EngineOptions o = test::TestOptions();
  o.max_buffered_bytes = bytes;
  return o;
}

// Connections 1..n each send a request line and then a header line that never ends, a piece of
// `piece` bytes per batch, `pieces` times: the capture of issue 9, item 4, in events.
void HoldHeaderLines(Engine& e, int n, size_t piece, int pieces, uint64_t* max_held) {
  BatchWriter w;
  for (int c = 1; c <= n; ++c) {
    w.Open(c, kClientIp, static_cast<uint16_t>(1000 + c), kServerIp, 80);
    w.Data(c, Direction::kClientToServer, "GET /held HTTP/1.1\r\nHost: x\r\nX-Long: ");
  }
  Feed(e, w);
  const std::string bytes(piece, 'a');
  for (int p = 0; p < pieces; ++p) {
    for (int c = 1; c <= n; ++c) w.Data(c, Direction::kClientToServer, bytes);
    Feed(e, w);
    *max_held = std::max(*max_held, e.held_bytes());
  }
}

TEST(HeldBudget, PartialHeaderLinesCountAndTheLargestAreCutWithinTheBudget) {
  const uint64_t budget = 256 * 1024;
  Engine engine(WithBudget(budget));
  uint64_t max_held = 0;
  HoldHeaderLines(engine, 40, 1448, 40, &max_held);  // 40 connections × 58 KB of header line
  EXPECT_LE(max_held, budget);
  EXPECT_LE(engine.held_peak(), budget);
  EXPECT_GT(engine.held_peak(), budget / 2) << "the header arenas must be counted";
  EXPECT_GT(Stat(engine, "heldCuts"), 0);
  EXPECT_EQ(Stat(engine, "heldCuts"), Stat(engine, "incompleteMessages"));
  // Each cut message is emitted with what was known, flagged, without the unfinished line.
  test::DecodeResult out = TakeOutput(engine);
  ASSERT_EQ(out.messages.size(), static_cast<size_t>(Stat(engine, "heldCuts")));
  for (const auto& m : out.messages) {
    EXPECT_EQ(m.at("path").as_string(), "/held");
    EXPECT_TRUE(m.at("incomplete").as_bool());
    EXPECT_EQ(std::string(m.at("error").as_string()).rfind("cut: maxBufferedBytes", 0), 0u);
    EXPECT_TRUE(m.at("headers").as_object().contains("host"));
    EXPECT_FALSE(m.at("headers").as_object().contains("x-long"));
  }
}

TEST(HeldBudget, ConnectionsAroundTheCutStillDecode) {
  Engine engine(WithBudget(128 * 1024));
  uint64_t max_held = 0;
  HoldHeaderLines(engine, 20, 4096, 10, &max_held);
  TakeOutput(engine);
  BatchWriter w;
  w.Open(100, kClientIp, 900, kServerIp, 80);
  w.Data(100, Direction::kClientToServer, "GET /ok HTTP/1.1\r\nHost: y\r\n\r\n");
  w.Data(100, Direction::kServerToClient, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  w.Close(100, CloseReason::kFin);
  // A cut connection resynchronises: its next request decodes whole.
  w.Data(1, Direction::kClientToServer, "aaa\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
  Feed(engine, w);
  test::DecodeResult out = TakeOutput(engine);
  ASSERT_GE(out.messages.size(), 3u);
  EXPECT_EQ(out.messages[0].at("path").as_string(), "/ok");
  EXPECT_EQ(out.messages[1].at("body").as_string(), "ok");
  EXPECT_EQ(out.messages.back().at("path").as_string(), "/after");
  EXPECT_FALSE(out.messages.back().contains("error") && out.messages.back().at("error").is_string());
}

TEST(HeldBudget, BalanceGivesTheCoreWhatTheCaptureDoesNotHold) {
  Engine engine(WithBudget(1 << 20));
  uint64_t max_held = 0;
  HoldHeaderLines(engine, 10, 8192, 6, &max_held);  // 10 × ~48 KiB, under 1 MiB
  EXPECT_EQ(Stat(engine, "heldCuts"), 0);
  const uint64_t held = engine.held_bytes();
  EXPECT_GT(held, 10u * 48 * 1024);
  // The capture now holds all but 200 KiB of the budget: the core cuts down to that at once.
  const uint64_t after = engine.Balance((1 << 20) - 200 * 1024);
  EXPECT_LE(after, 200u * 1024);
  EXPECT_EQ(after, engine.held_bytes());
  EXPECT_EQ(engine.held_limit(), 200u * 1024);
  EXPECT_GT(Stat(engine, "heldCuts"), 0);
  EXPECT_EQ(Stats(engine)["heldLimit"].as_int64(), 200 * 1024);
  // The capture gives its share back: nothing more is cut.
  const int64_t cuts = Stat(engine, "heldCuts");
  engine.Balance(0);
  EXPECT_EQ(Stat(engine, "heldCuts"), cuts);
}

TEST(HeldBudget, AnUpgradeHoldCountsAndIsCut) {
  EngineOptions options = WithBudget(64 * 1024);
  options.limits.max_stash_bytes = 1 << 20;
  Engine engine(options);
  BatchWriter w;
  w.Open(1, kClientIp, 1001, kServerIp, 80);
  w.Data(1, Direction::kClientToServer,
         "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: " + std::string(200, 'p') +
             "\r\nConnection: upgrade\r\n\r\n");
  Feed(engine, w);
  EXPECT_GT(engine.held_bytes(), 0u) << "the Upgrade value is held for a 101 that names none";
  for (int i = 0; i < 20; ++i) w.Data(1, Direction::kClientToServer, std::string(4096, 'z'));
  Feed(engine, w);
  EXPECT_LE(engine.held_bytes(), 64u * 1024);
  EXPECT_GT(Stat(engine, "heldCuts"), 0);
  EXPECT_GT(Stat(engine, "skippedBytes"), 0);
}

TEST(HeldBudget, AChunkedBodyRecoveringFromAGapIsCut) {
  Engine engine(WithBudget(1 << 20));
  BatchWriter w;
  w.Open(1, kClientIp, 1001, kServerIp, 80);
  w.Data(1, Direction::kClientToServer, "GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  w.Data(1, Direction::kServerToClient,
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Pad: " + std::string(8000, 'p') +
             "\r\n\r\n2000\r\n" + std::string(100, 'd'));
  w.Gap(1, Direction::kServerToClient, 50);  // inside the chunk's data: the framing is looked for
  Feed(engine, w);
  TakeOutput(engine);
  const uint64_t held = engine.held_bytes();
  EXPECT_GT(held, 8000u) << "the recovering message's headers are held";
  engine.Balance((1 << 20) - 1024);
  EXPECT_LE(engine.held_bytes(), 1024u);
  EXPECT_EQ(Stat(engine, "heldCuts"), 1);
  test::DecodeResult out = TakeOutput(engine);
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.messages[0].at("statusCode").as_int64(), 200);
  EXPECT_TRUE(out.messages[0].at("incomplete").as_bool());
  EXPECT_EQ(std::string(out.messages[0].at("error").as_string()).rfind("cut: maxBufferedBytes", 0), 0u);
}

TEST(HeldBudget, NothingIsHeldAfterEveryConnectionCloses) {
  Engine engine(WithBudget(1 << 20));
  uint64_t max_held = 0;
  HoldHeaderLines(engine, 5, 1000, 5, &max_held);
  EXPECT_GT(engine.held_bytes(), 0u);
  engine.Finish();
  EXPECT_EQ(engine.held_bytes(), 0u);
  EXPECT_EQ(Stat(engine, "heldBytes"), 0);
}

}  // namespace
}  // namespace http_core

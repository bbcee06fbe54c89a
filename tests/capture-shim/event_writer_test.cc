#include "event_writer.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace capture_shim {
namespace {

using namespace capture_shim::testing;

TEST(EventWriter, OpenLayoutIsLittleEndianWithAFortyBytePayload) {
  EventWriter w;
  Endpoint client, server;
  client.addr[0] = 192; client.addr[1] = 168; client.addr[2] = 1; client.addr[3] = 7;
  server.addr[0] = 10; server.addr[3] = 9;
  client.port = 0xABCD;
  server.port = 80;
  w.Open(0x0102030405060708ULL, 4, client, server, -1, true);
  Bytes expected = {1, 1, 0, 0, 40, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1,
                    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // ts -1: unknown
                    4, 0, 0, 0, 192, 168, 1, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    10, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xCD, 0xAB, 80, 0};
  ASSERT_EQ(w.size(), expected.size());
  EXPECT_EQ(Bytes(w.data(), w.data() + w.size()), expected);
}

TEST(EventWriter, DataGapAndCloseLayouts) {
  EventWriter w;
  const uint8_t bytes[] = {'h', 'i', '!'};
  w.Data(5, Direction::kServerToClient, bytes, 3, 1'700'000'000'000'001LL);
  w.Gap(5, Direction::kClientToServer, 0x1122334455ULL, 2);
  w.Close(5, CloseReason::kEvicted, 3);
  Bytes out(w.data(), w.data() + w.size());
  ASSERT_EQ(out.size(), 24u + 3 + 24 + 8 + 24);
  // data
  EXPECT_EQ(out[0], 2);
  EXPECT_EQ(out[1], 1);
  EXPECT_EQ(Le(&out[4], 4), 3u);
  EXPECT_EQ(Le(&out[8], 8), 5u);
  EXPECT_EQ(Le(&out[16], 8), 1'700'000'000'000'001ULL);
  EXPECT_EQ(std::string(out.begin() + 24, out.begin() + 27), "hi!");
  // gap
  const uint8_t* g = &out[27];
  EXPECT_EQ(g[0], 3);
  EXPECT_EQ(g[1], 0);
  EXPECT_EQ(Le(g + 4, 4), 8u);
  EXPECT_EQ(Le(g + 24, 8), 0x1122334455ULL);
  // close
  const uint8_t* c = &out[27 + 32];
  EXPECT_EQ(c[0], 4);
  EXPECT_EQ(c[1], 3);
  EXPECT_EQ(Le(c + 4, 4), 0u);
  EXPECT_EQ(Le(c + 16, 8), 3u);
  std::vector<Event> ev = ParseEvents(out);
  ASSERT_EQ(ev.size(), 3u);
}

TEST(EventWriter, CloseReasonsAndDirectionsHaveTheirContractValues) {
  EXPECT_EQ(static_cast<int>(CloseReason::kFin), 0);
  EXPECT_EQ(static_cast<int>(CloseReason::kRst), 1);
  EXPECT_EQ(static_cast<int>(CloseReason::kIdle), 2);
  EXPECT_EQ(static_cast<int>(CloseReason::kEvicted), 3);
  EXPECT_EQ(static_cast<int>(CloseReason::kShutdown), 4);
  EXPECT_EQ(static_cast<int>(Direction::kClientToServer), 0);
  EXPECT_EQ(static_cast<int>(Direction::kServerToClient), 1);
}

TEST(EventWriter, ATakenBufferLeavesAnEmptyWriter) {
  EventWriter w;
  w.Close(1, CloseReason::kFin, 0);
  Batch taken = std::move(*w.mutable_buffer());
  w.mutable_buffer()->clear();
  EXPECT_EQ(taken.size(), 24u);
  EXPECT_TRUE(w.empty());
  w.Close(2, CloseReason::kFin, 0);
  EXPECT_EQ(w.size(), 24u);
}

}  // namespace
}  // namespace capture_shim

// The writer's own behaviour. Its bytes are checked against the format's golden cases in
// tests/stream-format/stream_format_test.cc.
#include "event_writer.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace capture_shim {
namespace {

using namespace capture_shim::testing;

TEST(EventWriter, ATakenBufferLeavesAnEmptyWriter) {
  EventWriter w;
  w.Close(1, CloseReason::kFin, 0);
  Batch taken = std::move(*w.mutable_buffer());
  w.mutable_buffer()->clear();
  EXPECT_EQ(taken.size(), stream_format::kHeaderSize);
  EXPECT_TRUE(w.empty());
  w.Close(2, CloseReason::kFin, 0);
  EXPECT_EQ(w.size(), stream_format::kHeaderSize);
}

TEST(EventWriter, EventsAppendInOrderToOneBatch) {
  EventWriter w;
  const uint8_t bytes[] = {'h', 'i'};
  w.Data(5, Direction::kServerToClient, bytes, 2, 1);
  w.Gap(5, Direction::kClientToServer, 7, 2);
  w.Close(5, CloseReason::kEvicted, 3);
  std::vector<Event> ev = ParseEvents(w.data(), w.size());
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].Text(), "hi");
  EXPECT_EQ(ev[1].Gap(), 7u);
  EXPECT_EQ(ev[2].arg, static_cast<uint8_t>(CloseReason::kEvicted));
  EXPECT_EQ(ev[2].ts, 3);
}

}  // namespace
}  // namespace capture_shim

// Random segments (flags, sequence numbers, ports, payloads, times) through the tracker: it must stay
// within its bounds and the event stream must keep the contract's rules whatever arrives.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>

#include "connection_tracker.h"
#include "test_support.h"

namespace capture_shim {
namespace {

using namespace capture_shim::testing;

// Checks docs/internals.md §1's rules across batches: `open` first, nothing after `close`.
class EventRules {
 public:
  void Check(const std::vector<Event>& events) {
    for (const Event& e : events) {
      auto it = state_.find(e.conn);
      if (e.kind == EventKind::kOpen) {
        ASSERT_TRUE(it == state_.end()) << "second open of " << e.conn;
        state_[e.conn] = kOpen;
        ++opens;
        continue;
      }
      ASSERT_TRUE(it != state_.end()) << "event before open on " << e.conn;
      ASSERT_EQ(it->second, kOpen) << "event after close on " << e.conn;
      const uint8_t last_arg = e.kind == EventKind::kClose
                                   ? static_cast<uint8_t>(stream_format::kLastCloseReason)
                                   : static_cast<uint8_t>(stream_format::kLastDirection);
      ASSERT_LE(e.arg, last_arg);
      if (e.kind == EventKind::kClose) {
        it->second = kClosed;
        ++closes;
      }
    }
  }
  int opens = 0, closes = 0;

 private:
  enum State { kOpen, kClosed };
  std::map<uint64_t, State> state_;
};

TEST(TrackerRandom, BoundsAndEventRulesHoldForAnyInput) {
  std::mt19937 rng(4242);
  TrackerConfig config;
  config.ports.Add(80);
  config.ports.Add(8080);
  config.max_connections = 64;
  config.max_buffered_bytes = 256 << 10;
  config.idle_timeout_us = 2'000'000;
  config.sample_rate = 0.8;
  EventWriter writer;
  CaptureStats stats;
  EventRules rules;
  ConnectionTracker tracker(config, &writer, &stats);
  std::string payload(3000, 'p');
  int64_t ts = 1'000'000;
  for (int i = 0; i < 300000; ++i) {
    TcpSegment s;
    s.ip_version = rng() % 4 ? 4 : 6;
    uint32_t a = 0x0a000001 + rng() % 4, b = 0x0a000001 + rng() % 4;
    std::memcpy(s.src_addr, &a, 4);
    std::memcpy(s.dst_addr, &b, 4);
    const uint16_t ports[] = {80, 8080, 443, 1025, 1026, 1027, 40000};
    s.src_port = ports[rng() % 7];
    s.dst_port = ports[rng() % 7];
    // Sequence numbers near a few bases, so segments land in order, out of order, behind and far.
    s.seq = (rng() % 3) * 0x40000000u + rng() % 20000;
    s.ack = (rng() % 3) * 0x40000000u + rng() % 20000;
    s.flags = static_cast<uint8_t>(rng() % 10 == 0 ? rng() : (rng() % 3 ? kTcpAck : kTcpAck | kTcpPsh));
    uint32_t len = rng() % 3 == 0 ? 0 : rng() % 3000;
    s.payload = reinterpret_cast<const uint8_t*>(payload.data());
    s.payload_len = len;
    s.wire_len = len + (rng() % 20 == 0 ? rng() % 5000 : 0);  // sometimes cut by the snap length
    ts += rng() % 3 == 0 ? -static_cast<int64_t>(rng() % 1000) : rng() % 20000;  // jitter, back in time
    tracker.OnSegment(s, ts);
    ASSERT_LE(tracker.active_connections(), config.max_connections);
    ASSERT_LE(tracker.buffered_bytes(), config.max_buffered_bytes);
    if (i % 7 == 0) tracker.SetShedding(rng() % 5 == 0);
    if (writer.size() > (1 << 20)) {
      rules.Check(ParseEvents(writer.data(), writer.size()));
      writer.mutable_buffer()->clear();
    }
  }
  tracker.SetShedding(false);
  tracker.CloseAll(ts);
  rules.Check(ParseEvents(writer.data(), writer.size()));
  EXPECT_EQ(tracker.active_connections(), 0u);
  EXPECT_EQ(tracker.buffered_bytes(), 0u);
  EXPECT_EQ(rules.opens, rules.closes);  // every announced connection was closed
  EXPECT_GT(rules.opens, 100);
  EXPECT_GT(stats.connections_evicted + stats.connections_idle_closed, 0u);
}

}  // namespace
}  // namespace capture_shim

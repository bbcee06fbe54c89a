// Random segments (flags, sequence numbers, ports, payloads, times) through the tracker: it must stay
// within its bounds and the event stream must keep the contract's rules whatever arrives.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "connection_tracker.h"
#include "segment_builder.h"
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

// Real connections, in order, with control segments injected at random between their segments as a
// client's raw socket could: RSTs outside the server's window, bare SYNs anywhere, FINs beyond the
// window or ahead inside it. None of them may change a byte of any stream, close a connection early
// or twice, or go uncounted; memory stays bounded.
TEST(TrackerRandom, InjectedControlSegmentsNeverChangeAStream) {
  constexpr uint16_t kWindow = 509;  // << 7: 65152 bytes
  constexpr uint32_t kWindowBytes = uint32_t{kWindow} << 7;
  constexpr int kConnections = 40;
  std::mt19937 rng(9090);
  TrackerConfig config;
  config.ports.Add(80);
  config.max_buffered_bytes = 1 << 20;
  config.idle_timeout_us = 600'000'000;
  EventWriter writer;
  CaptureStats stats;
  EventRules rules;
  ConnectionTracker tracker(config, &writer, &stats);
  struct Model {
    uint32_t cseq, sseq;
    std::string sent[2];
    bool fin_ahead = false;  // an injected FIN inside the window, not yet overtaken
    uint32_t fin_seq = 0;
  };
  std::vector<Model> conns(kConnections);
  int64_t ts = 1'000'000;
  auto send = [&](int k, bool from_client, uint32_t seq, uint32_t ack, uint8_t flags,
                  const std::string& data, int8_t scale = -1) {
    const TcpSegment s = MakeSegment(from_client, static_cast<uint16_t>(41000 + k), seq, ack, flags,
                                     data, kWindow, scale);
    ts += rng() % 2000;
    tracker.OnSegment(s, ts);
    ASSERT_LE(tracker.active_connections(), config.max_connections);
    ASSERT_LE(tracker.buffered_bytes(), config.max_buffered_bytes);
  };
  for (int k = 0; k < kConnections; ++k) {
    Model& m = conns[k];
    m.cseq = static_cast<uint32_t>(rng());
    m.sseq = static_cast<uint32_t>(rng());
    send(k, true, m.cseq, 0, kTcpSyn, "", 7);
    send(k, false, m.sseq, m.cseq + 1, kTcpSyn | kTcpAck, "", 7);
    m.cseq += 1;
    m.sseq += 1;
    send(k, true, m.cseq, m.sseq, kTcpAck, "");
    // A first request, so that the connection is established (a SYN on a bare handshake is a
    // retransmission to the tracker, not a candidate restart).
    send(k, true, m.cseq, m.sseq, kTcpAck | kTcpPsh, "GET");
    m.cseq += 3;
    m.sent[0] = "GET";
    send(k, false, m.sseq, m.cseq, kTcpAck, "");
  }
  std::vector<Event> events;
  uint64_t rsts = 0, syns = 0, fins = 0;
  for (int step = 0; step < 20000; ++step) {
    int k = static_cast<int>(rng() % kConnections);
    Model& m = conns[k];
    uint32_t r = rng() % 100;
    if (r < 70) {  // data one way, acknowledged by the other
      bool from_client = rng() % 2;
      std::string data(1 + rng() % 1400, static_cast<char>('a' + rng() % 26));
      if (from_client && m.fin_ahead) {
        // Data ending exactly at an injected FIN would reach it in order, and the server would take
        // it as the client's end (so would the tracker): that is no longer an ignored segment.
        if (m.cseq + data.size() == m.fin_seq) data += 'x';
        if (static_cast<int32_t>(m.cseq + static_cast<uint32_t>(data.size()) - m.fin_seq) > 0) {
          m.fin_ahead = false;
        }
      }
      uint32_t& seq = from_client ? m.cseq : m.sseq;
      uint32_t& peer = from_client ? m.sseq : m.cseq;
      send(k, from_client, seq, peer, kTcpAck | kTcpPsh, data);
      seq += static_cast<uint32_t>(data.size());
      send(k, !from_client, peer, seq, kTcpAck, "");
      m.sent[from_client ? 0 : 1] += data;
    } else if (r < 80) {  // a RST from the client outside the server's window, ahead or behind
      uint32_t off = kWindowBytes + 1 + rng() % 0x7f000000u;
      send(k, true, rng() % 2 ? m.cseq + off : m.cseq - 1 - rng() % 0x7f000000u, 0, kTcpRst, "");
      ++rsts;
    } else if (r < 88) {  // a bare SYN anywhere; the server's next segment is its challenge ACK
      send(k, true, static_cast<uint32_t>(rng()), 0, kTcpSyn, "", 7);
      send(k, false, m.sseq, m.cseq, kTcpAck, "");
      ++syns;
    } else {  // a FIN past the window, or ahead inside it (data or the real FIN overtakes it)
      bool inside = rng() % 2;
      uint32_t off = inside ? 1 + rng() % 60000 : kWindowBytes + 1 + rng() % 0x3f000000u;
      send(k, true, m.cseq + off, m.sseq, kTcpAck | kTcpFin, "");
      if (inside) {
        m.fin_ahead = true;
        m.fin_seq = m.cseq + off;
      }
      ++fins;
    }
    if (step % 500 == 0) tracker.Advance(ts);  // hole timeouts and idle checks run
    if (writer.size() > (1 << 20)) {
      std::vector<Event> batch = ParseEvents(writer.data(), writer.size());
      rules.Check(batch);
      ASSERT_EQ(rules.closes, 0) << "a connection closed early";
      events.insert(events.end(), batch.begin(), batch.end());
      writer.mutable_buffer()->clear();
    }
  }
  for (int k = 0; k < kConnections; ++k) {  // the real ends
    Model& m = conns[k];
    send(k, true, m.cseq, m.sseq, kTcpAck | kTcpFin, "");
    send(k, false, m.sseq, m.cseq + 1, kTcpAck | kTcpFin, "");
    send(k, true, m.cseq + 1, m.sseq + 1, kTcpAck, "");
  }
  std::vector<Event> last = ParseEvents(writer.data(), writer.size());
  rules.Check(last);
  events.insert(events.end(), last.begin(), last.end());
  EXPECT_EQ(tracker.active_connections(), 0u);
  EXPECT_EQ(tracker.buffered_bytes(), 0u);
  EXPECT_EQ(rules.opens, kConnections);
  EXPECT_EQ(rules.closes, kConnections);
  std::map<uint16_t, uint64_t> by_port;
  for (const Event& e : events) {
    if (e.kind == EventKind::kOpen) by_port[e.ClientPort()] = e.conn;
    if (e.kind == EventKind::kClose) {
      EXPECT_EQ(e.arg, static_cast<uint8_t>(CloseReason::kFin));
    }
  }
  for (int k = 0; k < kConnections; ++k) {
    uint64_t id = by_port[static_cast<uint16_t>(41000 + k)];
    EXPECT_TRUE(StreamOf(events, id, 0) == conns[k].sent[0]) << "client stream of " << k;
    EXPECT_TRUE(StreamOf(events, id, 1) == conns[k].sent[1]) << "server stream of " << k;
  }
  EXPECT_GT(rsts + syns + fins, 3000u);
  EXPECT_EQ(stats.rst_ignored, rsts);
  EXPECT_EQ(stats.syn_ignored, syns);
  EXPECT_EQ(stats.reassembly.fins_ignored, fins);
  EXPECT_EQ(stats.reassembly.bytes_gap, 0u);
}

}  // namespace
}  // namespace capture_shim

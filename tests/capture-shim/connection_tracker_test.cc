#include "connection_tracker.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "test_support.h"
#include "tracker_fixture.h"

namespace capture_shim {
namespace {

using namespace capture_shim::testing;

TEST_F(TrackerTest, AConnectionIsOpenDataAndCloseOnBothFins) {
  Handshake(1000);
  Send(true, 101, 501, kTcpAck | kTcpPsh, "GET / HTTP/1.1\r\n\r\n", 2000);
  Send(false, 501, 119, kTcpAck | kTcpPsh, "HTTP/1.1 200 OK\r\n\r\n", 3000);
  Send(true, 119, 520, kTcpAck | kTcpFin, "", 4000);
  EXPECT_EQ(tracker_->active_connections(), 1u);
  Send(false, 520, 120, kTcpAck | kTcpFin, "", 5000);
  Send(true, 120, 521, kTcpAck, "", 5001);  // the last ACK must not start a new connection

  std::vector<Event> ev = Events();
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].kind, EventKind::kOpen);
  EXPECT_EQ(ev[0].arg, stream_format::kOpenSampled);
  EXPECT_EQ(ev[0].ts, 1000);  // the connection's first packet
  EXPECT_EQ(ev[0].payload[0], 4);
  EXPECT_EQ(0, std::memcmp(ev[0].payload.data() + 4, &kClientIp, 4));
  EXPECT_EQ(0, std::memcmp(ev[0].payload.data() + 20, &kServerIp, 4));
  EXPECT_EQ(ev[0].ClientPort(), 40000u);
  EXPECT_EQ(ev[0].ServerPort(), 80u);
  EXPECT_EQ(ev[1].kind, EventKind::kData);
  EXPECT_EQ(ev[1].arg, static_cast<uint8_t>(Direction::kClientToServer));
  EXPECT_EQ(ev[1].Text(), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(ev[1].ts, 2000);
  EXPECT_EQ(ev[2].arg, static_cast<uint8_t>(Direction::kServerToClient));
  EXPECT_EQ(ev[2].Text(), "HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(ev[3].kind, EventKind::kClose);
  EXPECT_EQ(ev[3].arg, static_cast<uint8_t>(CloseReason::kFin));
  EXPECT_EQ(ev[3].ts, 5000);
  for (const Event& e : ev) EXPECT_EQ(e.conn, ev[0].conn);
  EXPECT_EQ(tracker_->active_connections(), 0u);
  EXPECT_EQ(stats_.connections_tracked, 1u);
  EXPECT_EQ(stats_.packets_without_connection, 1u);
}

TEST_F(TrackerTest, MidStreamServerPacketFirstStillMakesPort80TheServer) {
  Send(false, 9000, 7000, kTcpAck, "HTTP/1.1 200 OK\r\n", 10);
  Send(true, 7000, 9017, kTcpAck, "GET /next HTTP/1.1\r\n", 20);
  std::vector<Event> ev = Events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].ServerPort(), 80u);  // server port
  EXPECT_EQ(ev[1].arg, static_cast<uint8_t>(Direction::kServerToClient));
  EXPECT_EQ(ev[2].arg, static_cast<uint8_t>(Direction::kClientToServer));
}

TEST_F(TrackerTest, AHandshakeAloneProducesNoEvents) {
  Handshake(0);
  EXPECT_EQ(writer_.size(), 0u);
  EXPECT_EQ(stats_.connections_tracked, 1u);
  tracker_->CloseAll(10);
  EXPECT_EQ(writer_.size(), 0u);
}

TEST_F(TrackerTest, ResetClosesWithReasonRst) {
  Handshake(0);
  Send(true, 101, 501, kTcpAck, "GET", 10);
  Send(false, 501, 104, kTcpRst, "", 20);
  std::vector<Event> ev = Events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[2].kind, EventKind::kClose);
  EXPECT_EQ(ev[2].arg, static_cast<uint8_t>(CloseReason::kRst));
  EXPECT_EQ(tracker_->active_connections(), 0u);
}

TEST_F(TrackerTest, IdleConnectionsCloseOnCaptureTime) {
  TrackerConfig c;
  c.ports.Add(80);
  c.idle_timeout_us = 5'000'000;
  Make(c);
  Handshake(0);
  Send(true, 101, 501, kTcpAck, "GET", 10);
  tracker_->Advance(4'000'000);
  EXPECT_EQ(tracker_->active_connections(), 1u);
  tracker_->Advance(6'000'000);
  EXPECT_EQ(tracker_->active_connections(), 0u);
  std::vector<Event> ev = Events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[2].arg, static_cast<uint8_t>(CloseReason::kIdle));
  EXPECT_EQ(stats_.connections_idle_closed, 1u);
}

TEST_F(TrackerTest, TheTableIsBoundedAndEvictsTheLeastRecent) {
  TrackerConfig c;
  c.ports.Add(80);
  c.max_connections = 2;
  Make(c);
  Send(true, 1, 0, kTcpAck, "a", 10, 1001);
  Send(true, 1, 0, kTcpAck, "b", 20, 1002);
  Send(true, 2, 0, kTcpAck, "a", 30, 1001);  // 1001 is now the most recent
  Send(true, 1, 0, kTcpAck, "c", 40, 1003);  // evicts 1002
  std::vector<Event> ev = Events();
  uint64_t conn_1002 = ev[2].conn;
  ASSERT_EQ(ev[2].kind, EventKind::kOpen);
  bool closed = false;
  for (const Event& e : ev) {
    if (e.kind == EventKind::kClose) {
      EXPECT_EQ(e.conn, conn_1002);
      EXPECT_EQ(e.arg, static_cast<uint8_t>(CloseReason::kEvicted));
      closed = true;
    }
  }
  EXPECT_TRUE(closed);
  EXPECT_EQ(stats_.connections_evicted, 1u);
  EXPECT_EQ(tracker_->active_connections(), 2u);
}

TEST_F(TrackerTest, ASynFloodStaysBoundedAndSparesEstablishedConnections) {
  TrackerConfig c;
  c.ports.Add(80);
  c.max_connections = 1000;
  Make(c);
  Handshake(0, 999);
  Send(true, 101, 501, kTcpAck, "GET", 1, 999);
  for (uint32_t i = 0; i < 100000; ++i) {
    Send(true, i, 0, kTcpSyn, "", 10 + i, static_cast<uint16_t>(1024 + i % 60000));
  }
  EXPECT_LE(tracker_->active_connections(), 1000u);
  EXPECT_GE(stats_.connections_evicted, 99000u);
  Send(true, 104, 501, kTcpAck, "/ HTTP/1.1", 200000, 999);  // the real one is still tracked
  std::vector<Event> ev = Events();
  ASSERT_EQ(ev.size(), 3u);  // open + two data: the flood wrote nothing
  EXPECT_EQ(StreamOf(ev, ev[0].conn, 0), "GET/ HTTP/1.1");
}

TEST_F(TrackerTest, UnsampledConnectionsAreCountedNotTracked) {
  TrackerConfig c;
  c.ports.Add(80);
  c.sample_rate = 0;
  Make(c);
  Handshake(0);
  Send(true, 101, 501, kTcpAck, "GET", 10);
  EXPECT_EQ(writer_.size(), 0u);
  EXPECT_EQ(tracker_->active_connections(), 0u);
  EXPECT_EQ(stats_.connections_unsampled, 1u);
  EXPECT_EQ(stats_.packets_unsampled, 4u);
}

TEST_F(TrackerTest, OtherPortsAreFilteredAfterDecoding) {
  TcpSegment s;
  s.ip_version = 4;
  s.src_port = 5000;
  s.dst_port = 6000;
  s.flags = kTcpSyn;
  tracker_->OnSegment(s, 0);
  EXPECT_EQ(stats_.packets_other_ports, 1u);
  EXPECT_EQ(tracker_->active_connections(), 0u);
}

TEST_F(TrackerTest, SheddingTurnsDataIntoOneMergedGap) {
  Handshake(0);
  Send(true, 101, 501, kTcpAck, "first ", 10);
  tracker_->SetShedding(true);
  Send(true, 107, 501, kTcpAck, "lost1 ", 20);
  Send(true, 113, 501, kTcpAck, "lost2 ", 30);
  Send(false, 501, 119, kTcpAck, "reply", 35);
  tracker_->SetShedding(false);
  Send(true, 119, 506, kTcpAck, "after", 40);
  std::vector<Event> ev = Events();
  EXPECT_EQ(StreamOf(ev, ev[0].conn, 0), "first <gap 12>after");
  EXPECT_EQ(stats_.bytes_shed, 17u);
  tracker_->CloseAll(50);
  ev = Events();
  // The server's shed bytes are reported before the close.
  EXPECT_EQ(StreamOf(ev, ev[0].conn, 1), "<gap 5>");
  EXPECT_EQ(ev.back().kind, EventKind::kClose);
  EXPECT_EQ(ev.back().arg, static_cast<uint8_t>(CloseReason::kShutdown));
}

TEST_F(TrackerTest, SheddingPastTheCapSuppressesNewConnectionsWhole) {
  TrackerConfig c;
  c.ports.Add(80);
  c.shed_batch_cap = 64;
  Make(c);
  Send(true, 1, 0, kTcpAck, std::string(100, 'x'), 0, 2000);  // batch now past the cap
  tracker_->SetShedding(true);
  Send(true, 1, 0, kTcpAck, "y", 10, 2001);
  Send(true, 1, 0, kTcpRst, "", 20, 2001);
  tracker_->SetShedding(false);
  std::vector<Event> ev = Events();
  ASSERT_EQ(ev.size(), 2u);  // only the first connection's open and data
  EXPECT_EQ(stats_.connections_shed, 1u);
}

TEST_F(TrackerTest, ShutdownFlushesHeldBytesWithGaps) {
  Handshake(0);
  Send(true, 101, 501, kTcpAck, "GET ", 10);
  Send(true, 110, 501, kTcpAck, "HTTP/1.1", 20);  // "/index" missing
  tracker_->CloseAll(30);
  std::vector<Event> ev = Events();
  EXPECT_EQ(StreamOf(ev, ev[0].conn, 0), "GET <gap 5>HTTP/1.1");
  EXPECT_EQ(ev.back().arg, static_cast<uint8_t>(CloseReason::kShutdown));
  EXPECT_EQ(tracker_->buffered_bytes(), 0u);
}

TEST_F(TrackerTest, AFullBudgetCutsTheLargestHolderNotTheNewcomer) {
  TrackerConfig c;
  c.ports.Add(80);
  c.max_buffered_bytes = 8192;
  Make(c);
  // Connection A (port 1001) holds ~5 KB out of order behind a 1-byte hole.
  Send(true, 1, 0, kTcpAck, "a", 0, 1001);
  Send(true, 3, 0, kTcpAck, std::string(5000, 'A'), 10, 1001);
  // Connection B (port 1002) holds a little, then needs more than what is left.
  Send(true, 1, 0, kTcpAck, "b", 20, 1002);
  Send(true, 3, 0, kTcpAck, std::string(500, 'B'), 30, 1002);
  Send(true, 503, 0, kTcpAck, std::string(2500, 'C'), 40, 1002);
  EXPECT_EQ(stats_.reassembly.holders_cut, 1u);
  EXPECT_LE(tracker_->buffered_bytes(), 8192u);
  std::vector<Event> ev = Events();
  uint64_t a = ev[0].conn;
  EXPECT_EQ(StreamOf(ev, a, 0), "a<gap 1>" + std::string(5000, 'A'));  // A was cut: gap, then its data
  uint64_t b = 0;
  for (const Event& e : ev) if (e.kind == EventKind::kOpen && e.conn != a) b = e.conn;
  EXPECT_EQ(StreamOf(ev, b, 0), "b");  // B still waits for its hole
  Send(true, 2, 0, kTcpAck, "-", 50, 1002);
  ev = Events();
  EXPECT_EQ(StreamOf(ev, b, 0), "b-" + std::string(500, 'B') + std::string(2500, 'C'));
}

TEST_F(TrackerTest, ANewSynOnAUsedTupleAnsweredWithASynAckStartsANewConnection) {
  Handshake(0);
  Send(true, 101, 501, kTcpAck, "one", 10);
  Send(true, 90000, 0, kTcpSyn, "", 20);
  Send(false, 7000, 90001, kTcpSyn | kTcpAck, "", 25);  // the server took it: the old one is gone
  Send(true, 90001, 7001, kTcpAck, "two", 30);
  std::vector<Event> ev = Events();
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[2].kind, EventKind::kClose);
  EXPECT_EQ(ev[3].kind, EventKind::kOpen);
  EXPECT_NE(ev[3].conn, ev[0].conn);
  EXPECT_GT(ev[3].conn, ev[0].conn);
  EXPECT_EQ(StreamOf(ev, ev[3].conn, 0), "two");
  EXPECT_EQ(ev[2].arg, static_cast<uint8_t>(CloseReason::kEvicted));
  EXPECT_EQ(stats_.syn_ignored, 0u);
}

TEST_F(TrackerTest, EveryPortWhenPortsIsEmpty) {
  TrackerConfig c;  // no ports: every TCP connection
  Make(c);
  TcpSegment s;
  s.ip_version = 4;
  s.src_port = 5000;
  s.dst_port = 6000;
  s.flags = kTcpAck;
  s.payload = reinterpret_cast<const uint8_t*>("x");
  s.payload_len = s.wire_len = 1;
  tracker_->OnSegment(s, 0);
  std::vector<Event> ev = Events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].ServerPort(), 5000u);  // no SYN: the lower port serves
}

}  // namespace
}  // namespace capture_shim

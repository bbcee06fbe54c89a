// Control segments a client can send with a raw socket at any sequence number: a RST, a SYN or a FIN
// counts only where the receiver would take it (capture-shim/receive_window.h), and everything
// ignored is counted. The loss-tolerant paths (mid-stream pickup, lost SYN) keep honouring resets.
#include <gtest/gtest.h>

#include <string>

#include "connection_tracker.h"
#include "test_support.h"
#include "tracker_fixture.h"

namespace capture_shim {
namespace {

using namespace capture_shim::testing;

// Windows as Linux advertises them: shift 7 on both sides, about 64 KiB.
constexpr uint16_t kScaledWindow = 509;           // << 7 = 65152 bytes
constexpr uint32_t kWindowBytes = kScaledWindow << 7;

class ControlSegmentTest : public TrackerTest {
 protected:
  // SYN (client ISN 100), SYN-ACK (server ISN 500), ACK; both SYNs offer window scale 7.
  void ScaledHandshake(int64_t ts) {
    Send(true, 100, 0, kTcpSyn, "", ts, 40000, 64240, 7);
    Send(false, 500, 101, kTcpSyn | kTcpAck, "", ts + 1, 40000, 65160, 7);
    Send(true, 101, 501, kTcpAck, "", ts + 2, 40000, kScaledWindow);
    cseq_ = 101;
    sseq_ = 501;
  }
  // One request and its response, each acknowledging the other.
  void Exchange(int n, int64_t ts) {
    std::string req = "GET /" + std::to_string(n) + " HTTP/1.1\r\n\r\n";
    std::string resp = "HTTP/1.1 200 OK\r\nx: " + std::to_string(n) + "\r\n\r\n";
    Send(true, cseq_, sseq_, kTcpAck | kTcpPsh, req, ts, 40000, kScaledWindow);
    cseq_ += static_cast<uint32_t>(req.size());
    Send(false, sseq_, cseq_, kTcpAck | kTcpPsh, resp, ts + 1, 40000, kScaledWindow);
    sseq_ += static_cast<uint32_t>(resp.size());
    requests_ += req;
    responses_ += resp;
  }
  // Both FINs, in order.
  void Finish(int64_t ts) {
    Send(true, cseq_, sseq_, kTcpAck | kTcpFin, "", ts, 40000, kScaledWindow);
    Send(false, sseq_, cseq_ + 1, kTcpAck | kTcpFin, "", ts + 1, 40000, kScaledWindow);
  }
  int Opens() {
    int n = 0;
    for (const Event& e : Events()) n += e.kind == EventKind::kOpen;
    return n;
  }
  uint8_t LastCloseReason() {
    std::vector<Event> ev = Events();
    EXPECT_FALSE(ev.empty());
    EXPECT_EQ(ev.back().kind, EventKind::kClose);
    return ev.empty() ? 255 : ev.back().arg;
  }
  void ExpectOneWholeConnection() {
    std::vector<Event> ev = Events();
    ASSERT_FALSE(ev.empty());
    EXPECT_EQ(Opens(), 1);
    EXPECT_EQ(StreamOf(ev, ev[0].conn, 0), requests_);
    EXPECT_EQ(StreamOf(ev, ev[0].conn, 1), responses_);
  }

  uint32_t cseq_ = 0, sseq_ = 0;
  std::string requests_, responses_;
};

TEST_F(ControlSegmentTest, ARstFarPastTheReceiversWindowIsIgnoredAndCounted) {
  ScaledHandshake(0);
  Exchange(1, 10);
  Send(true, cseq_ + kWindowBytes + 1'000'000, 0, kTcpRst, "", 20);
  EXPECT_EQ(stats_.rst_ignored, 1u);
  EXPECT_EQ(tracker_->active_connections(), 1u);
  Exchange(2, 30);
  Exchange(3, 40);
  Send(true, cseq_, 0, kTcpRst, "", 50);  // exactly where the server expects it: honoured
  ExpectOneWholeConnection();
  EXPECT_EQ(LastCloseReason(), static_cast<uint8_t>(CloseReason::kRst));
  EXPECT_EQ(stats_.rst_ignored, 1u);
}

TEST_F(ControlSegmentTest, ARstBehindWhatTheReceiverAcknowledgedIsIgnored) {
  ScaledHandshake(0);
  Exchange(1, 10);
  Send(true, cseq_ - 5, 0, kTcpRst | kTcpAck, "", 20);
  EXPECT_EQ(stats_.rst_ignored, 1u);
  EXPECT_EQ(tracker_->active_connections(), 1u);
}

TEST_F(ControlSegmentTest, ARstInsideTheWindowCloses) {
  ScaledHandshake(0);
  Exchange(1, 10);
  Send(true, cseq_ + kWindowBytes - 100, 0, kTcpRst, "", 20);
  EXPECT_EQ(tracker_->active_connections(), 0u);
  EXPECT_EQ(LastCloseReason(), static_cast<uint8_t>(CloseReason::kRst));
  EXPECT_EQ(stats_.rst_ignored, 0u);
}

TEST_F(ControlSegmentTest, AServerRstRightAfterItsFinCloses) {
  ScaledHandshake(0);
  Exchange(1, 10);
  Send(false, sseq_, cseq_, kTcpAck | kTcpFin, "", 20, 40000, kScaledWindow);
  Send(false, sseq_ + 1, 0, kTcpRst, "", 30);  // the FIN took one sequence number
  EXPECT_EQ(LastCloseReason(), static_cast<uint8_t>(CloseReason::kRst));
}

TEST_F(ControlSegmentTest, WithoutTheScaleOptionTheWindowIsUnscaled) {
  Handshake(0);  // no window-scale option on either SYN: 65535 bytes, not 65535 << 14
  Send(true, 101, 501, kTcpAck, "GET", 10);
  Send(true, 104 + 65535 + 1000, 0, kTcpRst, "", 20);
  EXPECT_EQ(stats_.rst_ignored, 1u);
  EXPECT_EQ(tracker_->active_connections(), 1u);
}

TEST_F(ControlSegmentTest, MidStreamPickupStillHonoursAReset) {
  // No handshake seen: the window shift is unknown, taken as the largest.
  Send(true, 7000, 9000, kTcpAck, "GET / HTTP/1.1\r\n\r\n", 10, 40000, 500);
  Send(false, 9000, 7018, kTcpAck, "HTTP/1.1 204 No Content\r\n\r\n", 20, 40000, 500);
  Send(true, 7018, 0, kTcpRst, "", 30);
  EXPECT_EQ(tracker_->active_connections(), 0u);
  EXPECT_EQ(LastCloseReason(), static_cast<uint8_t>(CloseReason::kRst));
}

TEST_F(ControlSegmentTest, ALostSynStillHonoursAReset) {
  Send(false, 500, 101, kTcpSyn | kTcpAck, "", 0, 40000, 65160, 7);  // the client's SYN was lost
  Send(true, 101, 501, kTcpAck, "GET", 10, 40000, kScaledWindow);
  Send(false, 501, 0, kTcpRst, "", 20);
  EXPECT_EQ(LastCloseReason(), static_cast<uint8_t>(CloseReason::kRst));
}

TEST_F(ControlSegmentTest, ABareSynFarAwayOnAnEstablishedConnectionIsIgnored) {
  ScaledHandshake(0);
  Exchange(1, 10);
  Send(true, cseq_ + 0x80000000u, 0, kTcpSyn, "", 20, 40000, 64240, 7);
  EXPECT_EQ(tracker_->active_connections(), 1u);
  // RFC 5961's challenge ACK: the server keeps the connection.
  Send(false, sseq_, cseq_, kTcpAck, "", 21, 40000, kScaledWindow);
  EXPECT_EQ(stats_.syn_ignored, 1u);
  Exchange(2, 30);
  Exchange(3, 40);
  Finish(50);
  ExpectOneWholeConnection();
  EXPECT_EQ(LastCloseReason(), static_cast<uint8_t>(CloseReason::kFin));
  EXPECT_EQ(stats_.connections_evicted, 0u);
}

TEST_F(ControlSegmentTest, AnUnansweredSynAndItsRetransmissionsAreCountedAtTheClose) {
  ScaledHandshake(0);
  Exchange(1, 10);
  Send(true, 12345, 0, kTcpSyn, "", 20);
  Send(true, 12345, 0, kTcpSyn, "", 30);
  EXPECT_EQ(stats_.syn_ignored, 0u);  // still waiting for the server's answer
  tracker_->CloseAll(40);
  EXPECT_EQ(stats_.syn_ignored, 2u);
  EXPECT_EQ(Opens(), 1);
}

TEST_F(ControlSegmentTest, ASynAckForTheSynAfterAHalfSeenCloseEndsTheOldWithFin) {
  ScaledHandshake(0);
  Exchange(1, 10);
  Send(true, cseq_, sseq_, kTcpAck | kTcpFin, "", 20, 40000, kScaledWindow);  // the server's FIN is lost
  Send(true, 3'000'000'000u, 0, kTcpSyn, "", 30);
  Send(false, 42, 3'000'000'001u, kTcpSyn | kTcpAck, "", 31);
  Send(true, 3'000'000'001u, 43, kTcpAck, "GET /again", 32);
  std::vector<Event> ev = Events();
  ASSERT_EQ(Opens(), 2);
  EXPECT_EQ(stats_.syn_ignored, 0u);
  bool old_closed_fin = false;
  for (const Event& e : ev) {
    if (e.kind == EventKind::kClose && e.conn == ev[0].conn) {
      old_closed_fin = e.arg == static_cast<uint8_t>(CloseReason::kFin);
    }
  }
  EXPECT_TRUE(old_closed_fin);
  EXPECT_EQ(StreamOf(ev, ev.back().conn, 0), "GET /again");
}

TEST_F(ControlSegmentTest, ABareSynOnAFreeTupleAnsweredWithAChallengeAckAnchorsNothing) {
  ScaledHandshake(0);
  Exchange(1, 10);
  tracker_->Advance(61'000'000);  // idle close: the tuple is free, the server still holds it
  ASSERT_EQ(tracker_->active_connections(), 0u);
  requests_.clear();
  responses_.clear();
  // A forged SYN a little behind the real stream, and the server's challenge ACK (not a SYN-ACK);
  // then again, once the first is known ignored.
  for (int64_t ts : {61'000'010, 61'000'012}) {
    Send(true, cseq_ - 1000, 0, kTcpSyn, "", ts, 40000, 64240, 7);
    Send(false, sseq_, cseq_, kTcpAck, "", ts + 1, 40000, kScaledWindow);
  }
  EXPECT_EQ(stats_.syn_ignored, 2u);
  Exchange(2, 61'000'020);
  Exchange(3, 61'000'030);
  tracker_->CloseAll(61'000'040);
  std::vector<Event> ev = Events();
  uint64_t second = 0;
  for (const Event& e : ev) if (e.kind == EventKind::kOpen) second = e.conn;
  EXPECT_EQ(StreamOf(ev, second, 0), requests_);  // no gap from a fake ISN before the real bytes
  EXPECT_EQ(StreamOf(ev, second, 1), responses_);
  EXPECT_EQ(stats_.reassembly.bytes_gap, 0u);
}

TEST_F(ControlSegmentTest, ASynWhoseSynAckTheCaptureMissedStillAnchorsTheStream) {
  Send(true, 100, 0, kTcpSyn, "", 0, 40000, 64240, 7);
  Send(true, 101, 501, kTcpAck, "GET", 10, 40000, kScaledWindow);  // right after the SYN
  Send(true, 104, 501, kTcpAck, " /", 11, 40000, kScaledWindow);
  Send(false, 501, 106, kTcpAck, "", 12, 40000, kScaledWindow);
  std::vector<Event> ev = Events();
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(StreamOf(ev, ev[0].conn, 0), "GET /");
  EXPECT_EQ(stats_.syn_ignored, 0u);
}

TEST_F(ControlSegmentTest, AFinFarAheadIsIgnoredAndInOrderDataGoesOnForSeconds) {
  TrackerConfig c;
  c.ports.Add(80);
  Make(c);  // hole timeout 3 s: the data below outlasts it
  ScaledHandshake(0);
  Exchange(1, 10);
  Send(true, cseq_ + (1u << 29), sseq_, kTcpAck | kTcpFin, "", 20, 40000, kScaledWindow);
  EXPECT_EQ(stats_.reassembly.fins_ignored, 1u);
  for (int i = 0; i < 8; ++i) {
    int64_t ts = 500'000 * (i + 1);
    tracker_->Advance(ts);
    Exchange(2 + i, ts);
  }
  EXPECT_EQ(tracker_->active_connections(), 1u);
  Finish(4'500'000);
  ExpectOneWholeConnection();
  EXPECT_EQ(LastCloseReason(), static_cast<uint8_t>(CloseReason::kFin));
  EXPECT_EQ(stats_.reassembly.bytes_gap, 0u);
}

TEST_F(ControlSegmentTest, AFinAheadInsideTheWindowWaitsForTheBytesBeforeIt) {
  ScaledHandshake(0);
  Exchange(1, 10);
  Send(true, cseq_ + 5, sseq_, kTcpAck | kTcpFin, "", 20, 40000, kScaledWindow);
  Send(false, sseq_, cseq_, kTcpAck | kTcpFin, "", 21, 40000, kScaledWindow);
  EXPECT_EQ(tracker_->active_connections(), 1u);  // the client's last 5 bytes are still due
  Send(true, cseq_, sseq_ + 1, kTcpAck, "tail!", 30, 40000, kScaledWindow);
  requests_ += "tail!";
  ExpectOneWholeConnection();
  EXPECT_EQ(LastCloseReason(), static_cast<uint8_t>(CloseReason::kFin));
  EXPECT_EQ(stats_.reassembly.fins_ignored, 0u);
}

TEST_F(ControlSegmentTest, AFinAheadStaysHeldThroughSilenceUntilTheReceiverAcknowledgesIt) {
  ScaledHandshake(0);
  Exchange(1, 10);
  Send(true, cseq_ + 5, sseq_, kTcpAck | kTcpFin, "", 20, 40000, kScaledWindow);
  tracker_->Advance(10'000'000);  // far past the hole timeout: a FIN alone is not given up on time
  EXPECT_EQ(stats_.reassembly.bytes_gap, 0u);
  // The server acknowledges the FIN (one past it): it got the 5 bytes the capture missed.
  Send(false, sseq_, cseq_ + 6, kTcpAck | kTcpFin, "", 10'000'001, 40000, kScaledWindow);
  std::vector<Event> ev = Events();
  EXPECT_EQ(StreamOf(ev, ev[0].conn, 0), requests_ + "<gap 5>");
  EXPECT_EQ(LastCloseReason(), static_cast<uint8_t>(CloseReason::kFin));
}

TEST_F(ControlSegmentTest, AFinAheadThatInOrderDataOvertakesIsDropped) {
  ScaledHandshake(0);
  Exchange(1, 10);
  Send(true, cseq_ + 3, sseq_, kTcpAck | kTcpFin, "", 20, 40000, kScaledWindow);
  Exchange(2, 30);  // runs past the "FIN"
  Exchange(3, 40);
  EXPECT_EQ(stats_.reassembly.fins_ignored, 1u);
  Finish(50);
  ExpectOneWholeConnection();
  EXPECT_EQ(LastCloseReason(), static_cast<uint8_t>(CloseReason::kFin));
}

}  // namespace
}  // namespace capture_shim

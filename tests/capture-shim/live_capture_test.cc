// Live capture on real interfaces (`lo`, `any`) with real sockets: whole exchanges, one copy of each
// loopback packet in the kernel's ring, the latency bound on a quiet link, a stop right after the
// traffic, only full batches while the consumer has a backlog, and shedding when the consumer refuses
// batches (and a stop while it does).
#include <gtest/gtest.h>

#include <map>

#include "capture.h"
#include "live_support.h"

namespace capture_shim {
namespace {

using namespace capture_shim::testing;
using namespace std::chrono_literals;

// The bound stated in capture-shim/README.md ("Latency"): on a quiet link a packet's bytes reach
// the consumer within this long (the block timeout, then one wake-up and one hand-over).
constexpr auto kQuietLinkBound = std::chrono::milliseconds(100);

// Live capture on lo of a real exchange; `refuse` batches are refused first (JS "behind").
std::vector<Event> CaptureLive(int refuse, size_t batch_bytes, const std::string& request,
                               const std::string& response, CaptureStats* stats,
                               const std::string& interface = "lo", bool ipv6 = false) {
  LoopbackServer server(ipv6);
  CaptureOptions o = LiveOptions(interface, server.port());
  o.batch_bytes = batch_bytes;
  CaptureStatus st;
  std::unique_ptr<Capture> cap = Capture::Open(o, &st);
  EXPECT_TRUE(cap != nullptr) << st.message;
  if (!cap) return {};
  Collector out;
  out.refuse = refuse;
  cap->Start(&out);
  std::this_thread::sleep_for(100ms);
  server.Exchange(request, response);
  // Wait until the close is captured (both FINs), then stop.
  for (int i = 0; i < 100; ++i) {
    std::vector<Event> ev = out.Events();
    if (!ev.empty() && ev.back().kind == EventKind::kClose) break;
    std::this_thread::sleep_for(50ms);
  }
  cap->Stop();
  cap->Stop();  // idempotent
  EXPECT_TRUE(out.WaitEnd(10s));
  cap->Join();
  EXPECT_TRUE(out.status().ok()) << out.status().message;
  *stats = cap->Stats();
  return out.Events();
}

// Every connection of `ev` (`sent[i]` is what the i-th one carried): exactly one open first and one
// close last, and the two streams exactly as sent (a byte delivered twice, or lost, changes them).
void ExpectEachConnectionOnceAndWhole(const std::vector<Event>& ev, const std::vector<Recorded>& sent,
                                      CloseReason reason) {
  std::map<uint64_t, std::vector<Event>> by_conn;  // ids grow in the order connections appeared
  for (const Event& e : ev) by_conn[e.conn].push_back(e);
  ASSERT_EQ(by_conn.size(), sent.size());
  size_t i = 0;
  for (const auto& [conn, events] : by_conn) {
    const Recorded& r = sent[i++];
    SCOPED_TRACE("connection " + std::to_string(conn));
    size_t opens = std::count_if(events.begin(), events.end(), [](const Event& e) { return e.kind == EventKind::kOpen; });
    size_t closes = std::count_if(events.begin(), events.end(), [](const Event& e) { return e.kind == EventKind::kClose; });
    size_t gaps = std::count_if(events.begin(), events.end(), [](const Event& e) { return e.kind == EventKind::kGap; });
    EXPECT_EQ(opens, 1u);
    EXPECT_EQ(closes, 1u);
    EXPECT_EQ(gaps, 0u);
    EXPECT_EQ(events.front().kind, EventKind::kOpen);
    EXPECT_EQ(events.back().kind, EventKind::kClose);
    EXPECT_EQ(events.back().arg, static_cast<uint8_t>(reason));
    ExpectSameBytes(StreamOf(ev, conn, 0), r.request);
    ExpectSameBytes(StreamOf(ev, conn, 1), r.response);
  }
}

TEST(LiveCapture, CapturesARealExchangeOnLoopback) {
  Recorded r;
  CaptureStats stats;
  std::vector<Event> ev = CaptureLive(0, 256 << 10, r.request, r.response, &stats);
  ExpectTheExchange(ev, r, CloseReason::kFin);
  EXPECT_GT(stats.kernel_received, 0u);
  EXPECT_EQ(stats.bytes_shed, 0u);
  EXPECT_GT(stats.batches_delivered, 0u);
}

TEST(LiveCapture, TheAnyDeviceAndIpv6) {
  // `any` is opened with Linux cooked v2 frames; its BPF has no vlan clause.
  Recorded r;
  CaptureStats stats;
  std::vector<Event> ev = CaptureLive(0, 256 << 10, r.request, r.response, &stats, "any", true);
  ExpectTheExchange(ev, r, CloseReason::kFin);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev[0].payload[0], 6);
  EXPECT_EQ(ev[0].payload[4 + 15], 1);  // client ::1
  EXPECT_EQ(ev[0].payload[20 + 15], 1);  // server ::1
}

// The kernel's count of packets it put in the ring against the packets the capture read: a loopback
// device shows every packet to the socket twice (sent and received), and only one copy may reach the
// ring (capture-shim/loopback_copies.h). Before that, the ring held twice what was read.
void ExpectOneCopyPerPacketInTheRing(const CaptureStats& stats) {
  EXPECT_EQ(stats.kernel_dropped, 0u);
  EXPECT_GT(stats.packets_seen, 10u);
  EXPECT_GE(stats.kernel_received, stats.packets_seen);
  EXPECT_LT(stats.kernel_received, stats.packets_seen + stats.packets_seen / 4)
      << "the ring received " << stats.kernel_received << " packets for " << stats.packets_seen
      << " read: loopback's twins are still in it";
}

TEST(LiveCapture, OnALoopbackDeviceTheRingHoldsOneCopyOfEachPacket) {
  Recorded r;
  CaptureStats stats;
  std::vector<Event> ev = CaptureLive(0, 256 << 10, r.request, r.response, &stats);
  ExpectTheExchange(ev, r, CloseReason::kFin);
  ExpectOneCopyPerPacketInTheRing(stats);
}

TEST(LiveCapture, OnAnyTheRingHoldsOneCopyOfEachLoopbackPacket) {
  // `any` sees lo's sent copies too; its filter rejects them by interface and packet type.
  Recorded r;
  CaptureStats stats;
  std::vector<Event> ev = CaptureLive(0, 256 << 10, r.request, r.response, &stats, "any");
  ExpectTheExchange(ev, r, CloseReason::kFin);
  ExpectOneCopyPerPacketInTheRing(stats);
}

TEST(LiveCapture, AQuietLinkHandsTheLastBytesOverWithinTheBound) {
  // One request and its response on a link with nothing else: no later packet fills the kernel's
  // block, so only the block timeout brings the bytes out.
  LoopbackServer server;
  CaptureStatus st;
  std::unique_ptr<Capture> cap = Capture::Open(LiveOptions("lo", server.port()), &st);
  ASSERT_TRUE(cap != nullptr) << st.message;
  Collector out;
  cap->Start(&out);
  std::this_thread::sleep_for(300ms);  // quiet
  Recorded r;
  r.request = "GET /quiet HTTP/1.1\r\nHost: x\r\n\r\n";
  r.response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nquiet";
  server.Exchange(r.request, r.response);
  auto sent = std::chrono::steady_clock::now();  // the client has read the whole response
  std::optional<std::chrono::steady_clock::time_point> arrived =
      out.WaitFirstArrival([](const Event& e) { return e.kind == EventKind::kData && e.arg == 1; }, 200);
  cap->Stop();
  ASSERT_TRUE(out.WaitEnd(10s));
  cap->Join();
  ASSERT_TRUE(arrived.has_value()) << "the response never reached the consumer";
  auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(*arrived - sent);
  EXPECT_LE(latency, kQuietLinkBound) << "the response's bytes came " << latency.count() << " ms late";
  ExpectTheExchange(out.Events(), r, CloseReason::kFin);
}

TEST(LiveCapture, StopRightAfterTheTrafficDeliversEveryConnectionOnceAndWhole) {
  // Stop() comes while the last packets may still sit in the block the kernel is filling: they
  // must be read, not lost. Small batches make hand-overs happen in the middle of blocks.
  LoopbackServer server;
  CaptureOptions o = LiveOptions("lo", server.port());
  o.batch_bytes = 16 << 10;
  CaptureStatus st;
  std::unique_ptr<Capture> cap = Capture::Open(o, &st);
  ASSERT_TRUE(cap != nullptr) << st.message;
  Collector out;
  cap->Start(&out);
  std::this_thread::sleep_for(100ms);
  std::vector<Recorded> sent(12);
  for (size_t i = 0; i + 1 < sent.size(); ++i) server.Exchange(sent[i].request, sent[i].response);
  // The last exchange small and alone after a pause: its few packets sit in a block of their own
  // that neither fills nor, most of the time, has been retired by its timeout when Stop() comes.
  sent.back().request = "GET /last HTTP/1.1\r\n\r\n";
  sent.back().response = "HTTP/1.1 204 No Content\r\n\r\n";
  std::this_thread::sleep_for(50ms);
  server.Exchange(sent.back().request, sent.back().response);
  cap->Stop();  // at once
  ASSERT_TRUE(out.WaitEnd(10s));
  cap->Join();
  ASSERT_TRUE(out.status().ok()) << out.status().message;
  ExpectEachConnectionOnceAndWhole(out.Events(), sent, CloseReason::kFin);
  CaptureStats stats = cap->Stats();
  EXPECT_EQ(stats.kernel_dropped, 0u);
  EXPECT_EQ(stats.bytes_shed, 0u);
  EXPECT_GT(out.batches(), sent.size());  // the 16 KiB batches really split the traffic
}

TEST(LiveCapture, StopWhileBatchesAreRefusedDeliversTheHeldBatchAndEverythingAfter) {
  // Every live hand-over is refused: the batch is held in the thread (payload shed meanwhile).
  // Stop() must deliver it, and what is read during the stop (those hand-overs wait for room): every
  // byte of the exchange arrives as data or as a counted gap, and its close.
  LoopbackServer server;
  CaptureOptions o = LiveOptions("lo", server.port());
  o.batch_bytes = 16 << 10;
  CaptureStatus st;
  std::unique_ptr<Capture> cap = Capture::Open(o, &st);
  ASSERT_TRUE(cap != nullptr) << st.message;
  Collector out;
  out.refuse_until = std::chrono::steady_clock::now() + 1h;
  cap->Start(&out);
  std::this_thread::sleep_for(100ms);
  Recorded r;
  r.response = "HTTP/1.1 200 OK\r\n\r\n" + Pattern(200'000, 7);
  server.Exchange(r.request, r.response);
  for (int i = 0; i < 500 && out.offered() == 0; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_GT(out.offered(), 0u);
  cap->Stop();  // with a refused batch held
  ASSERT_TRUE(out.WaitEnd(10s));
  cap->Join();
  ASSERT_TRUE(out.status().ok()) << out.status().message;
  CaptureStats stats = cap->Stats();
  EXPECT_GE(stats.batches_refused, 1u);
  EXPECT_EQ(stats.kernel_dropped, 0u);
  std::vector<Event> ev = out.Events();
  ASSERT_GE(ev.size(), 2u);
  EXPECT_EQ(ev.front().kind, EventKind::kOpen);
  EXPECT_EQ(ev.back().kind, EventKind::kClose);
  EXPECT_EQ(ev.back().arg, static_cast<uint8_t>(CloseReason::kFin));
  uint64_t gap_bytes = 0;
  for (uint8_t dir : {0, 1}) {
    uint64_t total = 0;
    for (const Event& e : ev) {
      if (e.arg != dir || e.kind == EventKind::kOpen || e.kind == EventKind::kClose) continue;
      if (e.kind == EventKind::kData) total += e.payload.size();
      if (e.kind == EventKind::kGap) {
        total += e.Gap();
        gap_bytes += e.Gap();
      }
    }
    EXPECT_EQ(total, dir == 0 ? r.request.size() : r.response.size());
  }
  EXPECT_EQ(gap_bytes, stats.bytes_shed + stats.reassembly.bytes_gap);
}

// Small exchanges spaced out in time, each alone in the kernel's blocks: without a backlog every one
// of them would be handed over partial at its timed hand-over.
std::vector<Recorded> SpacedExchanges(LoopbackServer* server, size_t count) {
  std::vector<Recorded> sent(count);
  for (size_t i = 0; i < count; ++i) {
    sent[i].request = "GET /spaced/" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
    sent[i].response = "HTTP/1.1 200 OK\r\nX-N: " + std::to_string(i) + "\r\n\r\n" + Pattern(3000, 'x');
    server->Exchange(sent[i].request, sent[i].response);
    std::this_thread::sleep_for(15ms);
  }
  return sent;
}

TEST(LiveCapture, WhileTheConsumerHasABacklogOnlyFullBatchesGoUntilItDrains) {
  // JS "behind" (batches waiting that it has not begun) but taking everything: a partial batch
  // handed over then would reach it no sooner and take a whole buffer's room in the queue. So only
  // full batches go until the backlog is gone; then the rest goes within the quiet-link bound.
  LoopbackServer server;
  CaptureOptions o = LiveOptions("lo", server.port());
  o.batch_bytes = 32 << 10;
  CaptureStatus st;
  std::unique_ptr<Capture> cap = Capture::Open(o, &st);
  ASSERT_TRUE(cap != nullptr) << st.message;
  Collector out;
  out.backlog = true;
  cap->Start(&out);
  std::this_thread::sleep_for(100ms);
  std::vector<Recorded> sent = SpacedExchanges(&server, 24);  // about 80 KB of events over 0.5 s
  std::this_thread::sleep_for(200ms);  // quiet now, for many timed hand-overs' worth
  std::vector<size_t> sizes = out.BatchSizes();
  EXPECT_GE(sizes.size(), 1u) << "a full batch goes whatever the backlog";
  for (size_t size : sizes) EXPECT_GE(size, o.batch_bytes) << "a partial batch went during the backlog";
  auto last_response = [&](const Event& e) {
    return e.kind == EventKind::kData && e.arg == 1 &&
           e.Text().find("X-N: " + std::to_string(sent.size() - 1) + "\r\n") != std::string::npos;
  };
  EXPECT_FALSE(out.FirstArrival(last_response).has_value());
  auto drained = std::chrono::steady_clock::now();
  out.backlog = false;
  std::optional<std::chrono::steady_clock::time_point> arrived = out.WaitFirstArrival(last_response, 500);
  cap->Stop();
  ASSERT_TRUE(out.WaitEnd(10s));
  cap->Join();
  ASSERT_TRUE(arrived.has_value()) << "the held batch never went once the backlog was gone";
  auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(*arrived - drained);
  EXPECT_LE(latency, kQuietLinkBound) << "the held batch went " << latency.count() << " ms after the backlog";
  ExpectEachConnectionOnceAndWhole(out.Events(), sent, CloseReason::kFin);
  CaptureStats stats = cap->Stats();
  EXPECT_EQ(stats.kernel_dropped, 0u);
  EXPECT_EQ(stats.bytes_shed, 0u);
  EXPECT_EQ(stats.batches_refused, 0u);
}

TEST(LiveCapture, StopWithABacklogDeliversTheHeldPartialBatch) {
  // The backlog never drains: the partial batch held for it must still go at Stop(), whole, once.
  LoopbackServer server;
  CaptureOptions o = LiveOptions("lo", server.port());
  o.batch_bytes = 32 << 10;
  CaptureStatus st;
  std::unique_ptr<Capture> cap = Capture::Open(o, &st);
  ASSERT_TRUE(cap != nullptr) << st.message;
  Collector out;
  out.backlog = true;
  cap->Start(&out);
  std::this_thread::sleep_for(100ms);
  std::vector<Recorded> sent = SpacedExchanges(&server, 12);
  cap->Stop();
  ASSERT_TRUE(out.WaitEnd(10s));
  cap->Join();
  ASSERT_TRUE(out.status().ok()) << out.status().message;
  ExpectEachConnectionOnceAndWhole(out.Events(), sent, CloseReason::kFin);
  EXPECT_EQ(cap->Stats().bytes_shed, 0u);
}

TEST(LiveCapture, RefusedBatchesAreShedAsGapsAndCounted) {
  Recorded r;
  r.response = "HTTP/1.1 200 OK\r\n\r\n" + Pattern(3'000'000, 3);
  CaptureStats stats;
  std::vector<Event> ev = CaptureLive(3, 16 << 10, r.request, r.response, &stats);
  ASSERT_GE(ev.size(), 3u);
  EXPECT_GT(stats.bytes_shed, 0u);
  EXPECT_GE(stats.batches_refused, 3u);
  uint64_t conn = ev[0].conn;
  bool saw_gap = false;
  uint64_t gap_bytes = 0;
  for (uint8_t dir : {0, 1}) {
    uint64_t total = 0;
    for (const Event& e : ev) {
      if (e.arg != dir || e.conn != conn || e.kind == EventKind::kOpen || e.kind == EventKind::kClose) continue;
      if (e.kind == EventKind::kData) total += e.payload.size();
      if (e.kind == EventKind::kGap) {
        total += e.Gap();
        gap_bytes += e.Gap();
        saw_gap = true;
      }
    }
    EXPECT_EQ(total, dir == 0 ? r.request.size() : r.response.size());
  }
  EXPECT_TRUE(saw_gap);
  // Every byte reported lost is counted once: shed, or lost before the shim (kernel drops).
  EXPECT_EQ(gap_bytes, stats.bytes_shed + stats.reassembly.bytes_gap);
  EXPECT_EQ(ev.back().kind, EventKind::kClose);
}

}  // namespace
}  // namespace capture_shim

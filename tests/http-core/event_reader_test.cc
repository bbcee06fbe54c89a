#include "event_reader.h"

#include <gtest/gtest.h>

#include "batch_writer.h"

namespace http_core {
namespace {

// Raw header bytes, for events that break a rule on purpose.
constexpr uint8_t kOpen = static_cast<uint8_t>(EventKind::kOpen);
constexpr uint8_t kData = static_cast<uint8_t>(EventKind::kData);
constexpr uint8_t kGap = static_cast<uint8_t>(EventKind::kGap);
constexpr uint8_t kClose = static_cast<uint8_t>(EventKind::kClose);
constexpr uint8_t kNoSuchKind = 9;
constexpr uint8_t kToServer = static_cast<uint8_t>(Direction::kClientToServer);

const uint8_t kClientIp[4] = {192, 168, 1, 2};
const uint8_t kServerIp[4] = {10, 0, 0, 1};

TEST(EventReader, ReadsEveryKindWithItsFields) {
  BatchWriter w;
  w.Open(7, kClientIp, 51234, kServerIp, 8080, 1000);
  w.Data(7, Direction::kServerToClient, "abc", 2000);
  w.Gap(7, Direction::kClientToServer, 1234567, 3000);
  w.Close(7, CloseReason::kEvicted, 4000);
  EventReader r(w.bytes().data(), w.bytes().size());
  StreamEvent ev;
  const char* reason = nullptr;
  ASSERT_EQ(r.Next(&ev, &reason), EventReader::Result::kEvent);
  EXPECT_EQ(ev.kind, EventKind::kOpen);
  EXPECT_EQ(ev.conn, 7u);
  EXPECT_EQ(ev.ts, 1000);
  EXPECT_EQ(ev.client.port, 51234);
  EXPECT_EQ(ev.server.port, 8080);
  EXPECT_EQ(ev.client.addr[0], 192);
  EXPECT_EQ(ev.server.addr[3], 1);
  ASSERT_EQ(r.Next(&ev, &reason), EventReader::Result::kEvent);
  EXPECT_EQ(ev.kind, EventKind::kData);
  EXPECT_EQ(ev.arg, 1);
  ASSERT_EQ(ev.len, 3u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ev.payload), 3), "abc");
  ASSERT_EQ(r.Next(&ev, &reason), EventReader::Result::kEvent);
  EXPECT_EQ(ev.kind, EventKind::kGap);
  EXPECT_EQ(ev.lost_bytes, 1234567u);
  ASSERT_EQ(r.Next(&ev, &reason), EventReader::Result::kEvent);
  EXPECT_EQ(ev.kind, EventKind::kClose);
  EXPECT_EQ(ev.arg, 3);
  EXPECT_EQ(ev.ts, 4000);
  EXPECT_EQ(r.Next(&ev, &reason), EventReader::Result::kEnd);
}

TEST(EventReader, NegativeTimestampMeansUnknown) {
  BatchWriter w;
  w.Data(1, Direction::kClientToServer, "x", -1);
  EventReader r(w.bytes().data(), w.bytes().size());
  StreamEvent ev;
  const char* reason = nullptr;
  ASSERT_EQ(r.Next(&ev, &reason), EventReader::Result::kEvent);
  EXPECT_LT(ev.ts, 0);
}

TEST(EventReader, TruncatedHeaderIsMalformedAndCountsTheRest) {
  BatchWriter w;
  w.Data(1, Direction::kClientToServer, "hello");
  std::vector<uint8_t> bytes = w.bytes();
  bytes.insert(bytes.end(), {2, 0, 0, 0, 1});  // 5 bytes of a next header
  EventReader r(bytes.data(), bytes.size());
  StreamEvent ev;
  const char* reason = nullptr;
  ASSERT_EQ(r.Next(&ev, &reason), EventReader::Result::kEvent);
  ASSERT_EQ(r.Next(&ev, &reason), EventReader::Result::kMalformed);
  EXPECT_STREQ(reason, "event header truncated");
  EXPECT_EQ(r.DroppedBytes(), 5u);
}

TEST(EventReader, LengthPastTheBatchIsMalformed) {
  BatchWriter w;
  w.RawHeader(kData, kToServer, 100, 1, 0);
  std::vector<uint8_t> bytes = w.bytes();
  bytes.resize(bytes.size() + 99);
  EventReader r(bytes.data(), bytes.size());
  StreamEvent ev;
  const char* reason = nullptr;
  ASSERT_EQ(r.Next(&ev, &reason), EventReader::Result::kMalformed);
  EXPECT_STREQ(reason, "event len runs past the batch");
  EXPECT_EQ(r.DroppedBytes(), bytes.size());
}

TEST(EventReader, HugeLengthDoesNotOverflowTheBoundsCheck) {
  BatchWriter w;
  w.RawHeader(kData, kToServer, 0xFFFFFFFFu, 1, 0);
  EventReader r(w.bytes().data(), w.bytes().size());
  StreamEvent ev;
  const char* reason = nullptr;
  EXPECT_EQ(r.Next(&ev, &reason), EventReader::Result::kMalformed);
}

TEST(EventReader, EventsBreakingARuleAreSkippedAlone) {
  // Each event below has a sound frame (its payload present) but breaks one rule.
  BatchWriter full;
  full.RawHeader(kNoSuchKind, 0, 0, 1, 0);
  full.RawHeader(kData, 2 /* no such direction */, 1, 1, 0);
  std::vector<uint8_t> b = full.bytes();
  b.push_back('x');
  auto add = [&b](const BatchWriter& bw) { b.insert(b.end(), bw.bytes().begin(), bw.bytes().end()); };
  BatchWriter e1; e1.RawHeader(kData, kToServer, 0, 1, 0); add(e1);
  BatchWriter e2; e2.RawHeader(kGap, kToServer, 4, 1, 0); add(e2); b.insert(b.end(), 4, 0);
  BatchWriter e3; e3.RawHeader(kClose, 5 /* no such reason */, 0, 1, 0); add(e3);
  BatchWriter e4; e4.RawHeader(kOpen, stream_format::kOpenSampled, 39, 1, 0); add(e4);
  b.insert(b.end(), 39, 0);
  BatchWriter e5; e5.Data(0, Direction::kClientToServer, "y"); add(e5);
  BatchWriter e6; e6.Data(3, Direction::kClientToServer, "ok"); add(e6);
  EventReader r(b.data(), b.size());
  StreamEvent ev;
  const char* reason = nullptr;
  const char* expected[] = {"unknown event kind", "data direction must be 0 or 1",
                            "data payload must not be empty", "gap payload must be 8 bytes",
                            "close reason must be 0..4", "open payload must be 40 bytes",
                            "conn must not be 0"};
  for (const char* want : expected) {
    ASSERT_EQ(r.Next(&ev, &reason), EventReader::Result::kInvalid) << want;
    EXPECT_STREQ(reason, want);
  }
  ASSERT_EQ(r.Next(&ev, &reason), EventReader::Result::kEvent);
  EXPECT_EQ(ev.conn, 3u);
  EXPECT_EQ(r.Next(&ev, &reason), EventReader::Result::kEnd);
}

TEST(EventReader, OpenWithBadIpVersionIsSkipped) {
  BatchWriter w;
  w.RawHeader(kOpen, stream_format::kOpenSampled, stream_format::kOpenPayloadSize, 5, 0);
  std::vector<uint8_t> b = w.bytes();
  b.push_back(5);  // ipVersion: neither 4 nor 6
  b.insert(b.end(), stream_format::kOpenPayloadSize - 1, 0);
  EventReader r(b.data(), b.size());
  StreamEvent ev;
  const char* reason = nullptr;
  ASSERT_EQ(r.Next(&ev, &reason), EventReader::Result::kInvalid);
  EXPECT_STREQ(reason, "open ipVersion must be 4 or 6");
}

TEST(EventReader, EmptyBatchEndsAtOnce) {
  EventReader r(nullptr, 0);
  StreamEvent ev;
  const char* reason = nullptr;
  EXPECT_EQ(r.Next(&ev, &reason), EventReader::Result::kEnd);
}

TEST(StreamEvent, FormatsIpv4AndIpv6Addresses) {
  Endpoint v4;
  v4.ip_version = 4;
  v4.addr[0] = 127; v4.addr[3] = 1;
  char buf[64];
  AppendIpText(buf, sizeof buf, v4);
  EXPECT_STREQ(buf, "127.0.0.1");
  Endpoint v6;
  v6.ip_version = 6;
  v6.addr[0] = 0x20; v6.addr[1] = 0x01; v6.addr[2] = 0x0d; v6.addr[3] = 0xb8; v6.addr[15] = 1;
  AppendIpText(buf, sizeof buf, v6);
  EXPECT_STREQ(buf, "2001:db8::1");
  Endpoint any6;
  any6.ip_version = 6;
  AppendIpText(buf, sizeof buf, any6);
  EXPECT_STREQ(buf, "::");
  Endpoint mapped;
  mapped.ip_version = 6;
  mapped.addr[10] = mapped.addr[11] = 0xff;
  mapped.addr[12] = 10; mapped.addr[15] = 7;
  AppendIpText(buf, sizeof buf, mapped);
  EXPECT_STREQ(buf, "::ffff:10.0.0.7");
  Endpoint mid;
  mid.ip_version = 6;
  mid.addr[0] = 0xfe; mid.addr[1] = 0x80; mid.addr[9] = 1; mid.addr[15] = 2;
  AppendIpText(buf, sizeof buf, mid);
  EXPECT_STREQ(buf, "fe80::1:0:0:2");
  char tiny[4];
  AppendIpText(tiny, sizeof tiny, v4);
  EXPECT_STREQ(tiny, "127");  // bounded: truncated, still terminated
}

}  // namespace
}  // namespace http_core

// Every C++ writer and reader of the stream-event format against the golden cases of
// fixtures/stream-events/cases.md, and the shim's writer read back by the core's reader.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "batch_writer.h"
#include "event_reader.h"
#include "event_writer.h"
#include "golden_cases.h"
#include "stream_event_format.h"
#include "test_support.h"

namespace stream_format::testing {
namespace {

using Bytes = std::vector<uint8_t>;

std::vector<GoldenCase> LoadCases() {
  std::vector<GoldenCase> cases;
  std::string error;
  EXPECT_TRUE(ParseGoldenCases(STREAM_EVENT_CASES_PATH, &cases, &error)) << error;
  return cases;
}

capture_shim::Endpoint ShimEndpoint(const uint8_t addr[kAddressSize], uint16_t port) {
  capture_shim::Endpoint ep;
  std::memcpy(ep.addr, addr, kAddressSize);
  ep.port = port;
  return ep;
}

Bytes WriteWithEventWriter(const GoldenCase& c) {
  capture_shim::EventWriter w;
  for (const GoldenEvent& e : c.events) {
    switch (e.kind) {
      case EventKind::kOpen:
        w.Open(e.conn, static_cast<uint8_t>(e.version), ShimEndpoint(e.client_addr, e.client_port),
               ShimEndpoint(e.server_addr, e.server_port), e.ts, e.sampled);
        break;
      case EventKind::kData:
        w.Data(e.conn, e.dir, reinterpret_cast<const uint8_t*>(e.data.data()),
               static_cast<uint32_t>(e.data.size()), e.ts);
        break;
      case EventKind::kGap: w.Gap(e.conn, e.dir, e.lost, e.ts); break;
      case EventKind::kClose: w.Close(e.conn, e.reason, e.ts); break;
    }
  }
  return Bytes(w.data(), w.data() + w.size());
}

Bytes WriteWithBatchWriter(const GoldenCase& c) {
  http_core::BatchWriter w;
  for (const GoldenEvent& e : c.events) {
    switch (e.kind) {
      case EventKind::kOpen:
        w.Open(e.conn, e.version, e.client_addr, e.client_port, e.server_addr, e.server_port,
               e.sampled, e.ts);
        break;
      case EventKind::kData: w.Data(e.conn, e.dir, e.data, e.ts); break;
      case EventKind::kGap: w.Gap(e.conn, e.dir, e.lost, e.ts); break;
      case EventKind::kClose: w.Close(e.conn, e.reason, e.ts); break;
    }
  }
  return w.bytes();
}

// Reads `bytes` with the core's EventReader and compares every field with the words.
void ExpectEventReaderReads(const Bytes& bytes, const std::vector<GoldenEvent>& want) {
  http_core::EventReader reader(bytes.data(), bytes.size());
  http_core::StreamEvent ev;
  const char* reason = nullptr;
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i + 1));
    const GoldenEvent& w = want[i];
    ASSERT_EQ(reader.Next(&ev, &reason), http_core::EventReader::Result::kEvent) << reason;
    EXPECT_EQ(ev.kind, w.kind);
    EXPECT_EQ(ev.arg, w.Arg());
    EXPECT_EQ(ev.conn, w.conn);
    EXPECT_EQ(ev.ts, w.ts);
    switch (w.kind) {
      case EventKind::kOpen:
        EXPECT_EQ(ev.client.ip_version, static_cast<uint8_t>(w.version));
        EXPECT_EQ(ev.server.ip_version, static_cast<uint8_t>(w.version));
        EXPECT_EQ(0, std::memcmp(ev.client.addr, w.client_addr, kAddressSize));
        EXPECT_EQ(0, std::memcmp(ev.server.addr, w.server_addr, kAddressSize));
        EXPECT_EQ(ev.client.port, w.client_port);
        EXPECT_EQ(ev.server.port, w.server_port);
        break;
      case EventKind::kData:
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(ev.payload), ev.len), w.data);
        break;
      case EventKind::kGap: EXPECT_EQ(ev.lost_bytes, w.lost); break;
      case EventKind::kClose: EXPECT_EQ(ev.len, 0u); break;
    }
  }
  EXPECT_EQ(reader.Next(&ev, &reason), http_core::EventReader::Result::kEnd);
}

TEST(StreamFormatGolden, TheCasesCoverEveryKindDirectionReasonAndIpVersion) {
  std::set<int> kinds, dirs, reasons, versions, open_flags;
  for (const GoldenCase& c : LoadCases()) {
    for (const GoldenEvent& e : c.events) {
      kinds.insert(static_cast<int>(e.kind));
      if (e.kind == EventKind::kData || e.kind == EventKind::kGap) {
        dirs.insert(static_cast<int>(e.dir));
      }
      if (e.kind == EventKind::kClose) reasons.insert(static_cast<int>(e.reason));
      if (e.kind == EventKind::kOpen) {
        versions.insert(static_cast<int>(e.version));
        open_flags.insert(e.Arg());
      }
    }
  }
  EXPECT_EQ(kinds, (std::set<int>{1, 2, 3, 4}));
  EXPECT_EQ(dirs, (std::set<int>{0, 1}));
  EXPECT_EQ(reasons, (std::set<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(versions, (std::set<int>{4, 6}));
  EXPECT_EQ(open_flags, (std::set<int>{0, kOpenSampled}));
}

TEST(StreamFormatGolden, ShimEventWriterWritesTheGoldenBytes) {
  for (const GoldenCase& c : LoadCases()) {
    SCOPED_TRACE(c.title);
    EXPECT_EQ(WriteWithEventWriter(c), c.bytes);
  }
}

TEST(StreamFormatGolden, CoreBatchWriterWritesTheGoldenBytes) {
  for (const GoldenCase& c : LoadCases()) {
    SCOPED_TRACE(c.title);
    EXPECT_EQ(WriteWithBatchWriter(c), c.bytes);
  }
}

TEST(StreamFormatGolden, CoreEventReaderReadsTheGoldenBytes) {
  for (const GoldenCase& c : LoadCases()) {
    SCOPED_TRACE(c.title);
    ExpectEventReaderReads(c.bytes, c.events);
  }
}

TEST(StreamFormatGolden, ShimTestReaderReadsTheGoldenBytes) {
  for (const GoldenCase& c : LoadCases()) {
    SCOPED_TRACE(c.title);
    const std::vector<capture_shim::testing::Event> got =
        capture_shim::testing::ParseEvents(c.bytes);
    ASSERT_EQ(got.size(), c.events.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const GoldenEvent& w = c.events[i];
      EXPECT_EQ(got[i].kind, w.kind);
      EXPECT_EQ(got[i].arg, w.Arg());
      EXPECT_EQ(got[i].conn, w.conn);
      EXPECT_EQ(got[i].ts, w.ts);
      if (w.kind == EventKind::kData) {
        EXPECT_EQ(got[i].Text(), w.data);
      }
      if (w.kind == EventKind::kGap) {
        EXPECT_EQ(got[i].Gap(), w.lost);
      }
      if (w.kind == EventKind::kOpen) {
        const uint8_t* p = got[i].payload.data();
        EXPECT_EQ(p[kOpenIpVersionOffset], static_cast<uint8_t>(w.version));
        EXPECT_EQ(0, std::memcmp(p + kOpenClientAddrOffset, w.client_addr, kAddressSize));
        EXPECT_EQ(0, std::memcmp(p + kOpenServerAddrOffset, w.server_addr, kAddressSize));
        EXPECT_EQ(got[i].ClientPort(), w.client_port);
        EXPECT_EQ(got[i].ServerPort(), w.server_port);
      }
    }
  }
}

TEST(StreamFormat, WhatTheShimWritesTheCoreReadsBack) {
  // Writer and reader joined directly, not only through the golden bytes: every case's events go
  // through the shim's EventWriter into one batch, and the core's EventReader reads them all.
  GoldenCase joined;
  for (const GoldenCase& c : LoadCases()) {
    joined.events.insert(joined.events.end(), c.events.begin(), c.events.end());
  }
  ExpectEventReaderReads(WriteWithEventWriter(joined), joined.events);
}

TEST(StreamFormatGolden, AMalformedCaseFileIsRejectedWithItsLine) {
  const std::string path = ::testing::TempDir() + "stream_format_bad_cases.md";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("## a case\n\n```events\nclose conn=1 ts=-1 reason=later\n```\n", f);
    std::fclose(f);
  }
  std::vector<GoldenCase> cases;
  std::string error;
  EXPECT_FALSE(ParseGoldenCases(path, &cases, &error));
  EXPECT_NE(error.find(":4: close needs reason="), std::string::npos) << error;
  std::remove(path.c_str());
}

}  // namespace
}  // namespace stream_format::testing

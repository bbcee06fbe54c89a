// Helpers for the capture-shim tests: crafting frames byte by byte, and reading stream-event
// batches back into structs (an independent reader of the docs/internals.md §1 layout).
#ifndef TESTS_CAPTURE_SHIM_TEST_SUPPORT_H_
#define TESTS_CAPTURE_SHIM_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "packet_decoder.h"
#include "stream_event_format.h"

namespace capture_shim::testing {

using Bytes = std::vector<uint8_t>;

inline void Put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void Put32(Bytes& b, uint32_t v) {
  Put16(b, static_cast<uint16_t>(v >> 16));
  Put16(b, static_cast<uint16_t>(v));
}
inline void Append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
inline Bytes Str(const std::string& s) { return Bytes(s.begin(), s.end()); }

struct TcpSpec {
  uint16_t sport = 40000;
  uint16_t dport = 80;
  uint32_t seq = 1000;
  uint32_t ack = 0;
  uint8_t flags = kTcpAck;
  std::string payload;
  size_t option_bytes = 0;  // NOPs then padding, a multiple of 4
};

// A TCP header (with options) and payload.
inline Bytes TcpBytes(const TcpSpec& t) {
  Bytes b;
  Put16(b, t.sport);
  Put16(b, t.dport);
  Put32(b, t.seq);
  Put32(b, t.ack);
  b.push_back(static_cast<uint8_t>(((20 + t.option_bytes) / 4) << 4));
  b.push_back(t.flags);
  Put16(b, 65535);  // window
  Put16(b, 0);      // checksum: never checked (offload leaves it wrong in real captures too)
  Put16(b, 0);
  for (size_t i = 0; i < t.option_bytes; ++i) b.push_back(1);  // NOP
  Append(b, Str(t.payload));
  return b;
}

// IPv4 + `l4`. `options` bytes (multiple of 4) go in the header; `frag` is the flags/offset field.
inline Bytes Ipv4(const Bytes& l4, uint8_t proto = 6, std::array<uint8_t, 4> src = {10, 0, 0, 1},
                  std::array<uint8_t, 4> dst = {10, 0, 0, 2}, size_t options = 0,
                  uint16_t frag = 0x4000) {
  Bytes b;
  b.push_back(static_cast<uint8_t>(0x40 | ((20 + options) / 4)));
  b.push_back(0);
  Put16(b, static_cast<uint16_t>(20 + options + l4.size()));
  Put16(b, 1);
  Put16(b, frag);
  b.push_back(64);
  b.push_back(proto);
  Put16(b, 0);
  b.insert(b.end(), src.begin(), src.end());
  b.insert(b.end(), dst.begin(), dst.end());
  for (size_t i = 0; i < options; ++i) b.push_back(1);
  Append(b, l4);
  return b;
}

// IPv6 + extension headers (each {type, bytes} where bytes is the header body after next/len).
struct Ext {
  uint8_t type;
  Bytes body;  // for 0/43/60: (len+1)*8 - 2 bytes; for 44: 6 bytes; for 51: (len+2)*4 - 2
};
inline Bytes Ipv6(const Bytes& l4, std::vector<Ext> exts = {}, uint8_t last = 6) {
  Bytes chain;
  for (size_t i = 0; i < exts.size(); ++i) {
    uint8_t next = i + 1 < exts.size() ? exts[i + 1].type : last;
    chain.push_back(next);
    size_t total = exts[i].body.size() + 2;
    if (exts[i].type == 51) chain.push_back(static_cast<uint8_t>(total / 4 - 2));
    else if (exts[i].type == 44) chain.push_back(0);
    else chain.push_back(static_cast<uint8_t>(total / 8 - 1));
    Append(chain, exts[i].body);
  }
  Bytes b = {0x60, 0, 0, 0};
  Put16(b, static_cast<uint16_t>(chain.size() + l4.size()));
  b.push_back(exts.empty() ? last : exts[0].type);
  b.push_back(64);
  for (int i = 0; i < 16; ++i) b.push_back(i == 15 ? 1 : (i == 0 ? 0xfd : 0));
  for (int i = 0; i < 16; ++i) b.push_back(i == 15 ? 2 : (i == 0 ? 0xfd : 0));
  Append(b, chain);
  Append(b, l4);
  return b;
}

inline Bytes Ethernet(const Bytes& l3, uint16_t ethertype, std::vector<uint16_t> tags = {}) {
  Bytes b = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  for (uint16_t tpid : tags) {
    Put16(b, tpid);
    Put16(b, 100);  // TCI: VLAN 100
  }
  Put16(b, ethertype);
  Append(b, l3);
  return b;
}

// One event as read back from a batch.
struct Event {
  stream_format::EventKind kind = stream_format::EventKind::kData;
  uint8_t arg = 0;
  uint64_t conn = 0;
  int64_t ts = 0;
  Bytes payload;
  uint64_t Gap() const { return stream_format::LoadLe64(payload.data()); }
  uint16_t ClientPort() const {
    return stream_format::LoadLe16(payload.data() + stream_format::kOpenClientPortOffset);
  }
  uint16_t ServerPort() const {
    return stream_format::LoadLe16(payload.data() + stream_format::kOpenServerPortOffset);
  }
  std::string Text() const { return std::string(payload.begin(), payload.end()); }
};

inline uint64_t Le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

// Parses a batch; fails the test on any layout violation. Reads the reserved field and the payload
// sizes itself (the core's EventReader ignores the former).
inline std::vector<Event> ParseEvents(const uint8_t* p, size_t n) {
  namespace format = stream_format;
  std::vector<Event> out;
  size_t off = 0;
  while (off < n) {
    EXPECT_GE(n - off, format::kHeaderSize) << "truncated event header at " << off;
    if (n - off < format::kHeaderSize) break;
    const uint8_t* h = p + off;
    const format::EventHeader header = format::DecodeHeader(h);
    Event e;
    e.kind = static_cast<format::EventKind>(header.kind);
    e.arg = header.arg;
    e.conn = header.conn;
    e.ts = header.ts;
    EXPECT_EQ(format::LoadLe16(h + format::kReservedOffset), 0u) << "reserved field";
    const uint64_t len = header.len;
    EXPECT_LE(len, n - off - format::kHeaderSize) << "event length past the batch";
    if (len > n - off - format::kHeaderSize) break;
    e.payload.assign(h + format::kHeaderSize, h + format::kHeaderSize + len);
    EXPECT_NE(e.conn, 0u);
    switch (e.kind) {
      case format::EventKind::kOpen: EXPECT_EQ(len, format::kOpenPayloadSize); break;
      case format::EventKind::kData: EXPECT_GT(len, 0u); break;
      case format::EventKind::kGap: EXPECT_EQ(len, format::kGapPayloadSize); break;
      case format::EventKind::kClose: EXPECT_EQ(len, format::kClosePayloadSize); break;
      default: ADD_FAILURE() << "unknown kind " << int(header.kind);
    }
    out.push_back(std::move(e));
    off += format::kHeaderSize + len;
  }
  return out;
}
inline std::vector<Event> ParseEvents(const Bytes& b) { return ParseEvents(b.data(), b.size()); }

// The concatenated data of one direction of one connection; gaps appear as "<gap N>".
inline std::string StreamOf(const std::vector<Event>& events, uint64_t conn, uint8_t dir) {
  std::string s;
  for (const Event& e : events) {
    if (e.conn != conn || e.arg != dir) continue;
    if (e.kind == stream_format::EventKind::kData) s += e.Text();
    if (e.kind == stream_format::EventKind::kGap) {
      s += "<gap " + std::to_string(e.Gap()) + ">";
    }
  }
  return s;
}

}  // namespace capture_shim::testing

#endif  // TESTS_CAPTURE_SHIM_TEST_SUPPORT_H_

// The stream-event format (docs/internals.md §1), defined once: the capture shim's EventWriter, the
// HTTP core's EventReader and the native tools' BatchWriter all include this header, the TS writers in
// ts/src/wasm/events.ts are checked against it by ts/test/stream-format.test.ts, and
// fixtures/stream-events/cases.md pins the bytes every writer and reader must agree on.
//
// A batch is a concatenation of events; each is a kHeaderSize-byte header followed by `len` payload
// bytes. Every integer is little-endian.
#ifndef STREAM_FORMAT_STREAM_EVENT_FORMAT_H_
#define STREAM_FORMAT_STREAM_EVENT_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stream_format {

// The header's `kind` byte.
enum class EventKind : uint8_t { kOpen = 1, kData = 2, kGap = 3, kClose = 4 };

// The header's `arg` byte of data and gap events.
enum class Direction : uint8_t { kClientToServer = 0, kServerToClient = 1 };
inline constexpr Direction kLastDirection = Direction::kServerToClient;

// The header's `arg` byte of close events.
enum class CloseReason : uint8_t { kFin = 0, kRst = 1, kIdle = 2, kEvicted = 3, kShutdown = 4 };
inline constexpr CloseReason kLastCloseReason = CloseReason::kShutdown;

// The names docs and case files give the close reasons, indexed by value.
inline constexpr const char* kCloseReasonNames[] = {"fin", "rst", "idle", "evicted", "shutdown"};
static_assert(sizeof kCloseReasonNames / sizeof kCloseReasonNames[0] ==
              static_cast<size_t>(kLastCloseReason) + 1);

// The reason named `name`; false when no reason has that name.
inline bool ParseCloseReason(std::string_view name, CloseReason* out) {
  for (size_t i = 0; i <= static_cast<size_t>(kLastCloseReason); ++i) {
    if (name == kCloseReasonNames[i]) {
      *out = static_cast<CloseReason>(i);
      return true;
    }
  }
  return false;
}

// The header's `arg` byte of open events: a set of flag bits.
enum OpenFlag : uint8_t { kOpenSampled = 1 };

// The open payload's ipVersion byte.
enum class IpVersion : uint8_t { kV4 = 4, kV6 = 6 };

// Header fields, by byte offset.
enum HeaderOffset : size_t {
  kKindOffset = 0,      // u8 EventKind
  kArgOffset = 1,       // u8 Direction, CloseReason or OpenFlag bits
  kReservedOffset = 2,  // u16, 0
  kLenOffset = 4,       // u32 payload bytes that follow the header
  kConnOffset = 8,      // u64 connection id, never 0
  kTsOffset = 16,       // i64 capture time in µs since the epoch; negative = unknown
};
inline constexpr size_t kHeaderSize = 24;

// Open payload fields, by byte offset from the start of the payload. Bytes 1..3 are zero; an IPv4
// address fills the first 4 of its kAddressSize bytes, the rest are zero.
enum OpenOffset : size_t {
  kOpenIpVersionOffset = 0,    // u8 IpVersion
  kOpenClientAddrOffset = 4,   // u8[kAddressSize]
  kOpenServerAddrOffset = 20,  // u8[kAddressSize]
  kOpenClientPortOffset = 36,  // u16
  kOpenServerPortOffset = 38,  // u16
};
inline constexpr size_t kAddressSize = 16;
inline constexpr size_t kOpenPayloadSize = 40;

// Gap payload: u64 bytes lost in that direction, at offset 0.
inline constexpr size_t kGapPayloadSize = 8;
inline constexpr size_t kClosePayloadSize = 0;
// Data payloads are the bytes themselves and never empty.

static_assert(kTsOffset + 8 == kHeaderSize);
static_assert(kOpenClientAddrOffset + kAddressSize == kOpenServerAddrOffset);
static_assert(kOpenServerAddrOffset + kAddressSize == kOpenClientPortOffset);
static_assert(kOpenServerPortOffset + 2 == kOpenPayloadSize);

inline void StoreLe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void StoreLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void StoreLe64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint16_t LoadLe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t LoadLe32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
inline uint64_t LoadLe64(const uint8_t* p) {
  return uint64_t{LoadLe32(p)} | (uint64_t{LoadLe32(p + 4)} << 32);
}

// A header as raw field values: `kind` and `arg` are bytes, so a reader can see (and reject) values
// no enum names and a test can write them.
struct EventHeader {
  uint8_t kind = 0;
  uint8_t arg = 0;
  uint32_t len = 0;
  uint64_t conn = 0;
  int64_t ts = -1;
};

// REQUIRES: p has kHeaderSize writable bytes.
inline void EncodeHeader(uint8_t* p, const EventHeader& h) {
  p[kKindOffset] = h.kind;
  p[kArgOffset] = h.arg;
  StoreLe16(p + kReservedOffset, 0);
  StoreLe32(p + kLenOffset, h.len);
  StoreLe64(p + kConnOffset, h.conn);
  StoreLe64(p + kTsOffset, static_cast<uint64_t>(h.ts));
}

// REQUIRES: p has kHeaderSize readable bytes. The reserved field is not checked (readers ignore it).
inline EventHeader DecodeHeader(const uint8_t* p) {
  EventHeader h;
  h.kind = p[kKindOffset];
  h.arg = p[kArgOffset];
  h.len = LoadLe32(p + kLenOffset);
  h.conn = LoadLe64(p + kConnOffset);
  h.ts = static_cast<int64_t>(LoadLe64(p + kTsOffset));
  return h;
}

// Writes a whole open payload (zero bytes included).
// REQUIRES: p has kOpenPayloadSize writable bytes; each address has kAddressSize readable bytes.
inline void EncodeOpenPayload(uint8_t* p, IpVersion version, const uint8_t* client_addr,
                              uint16_t client_port, const uint8_t* server_addr,
                              uint16_t server_port) {
  p[kOpenIpVersionOffset] = static_cast<uint8_t>(version);
  p[1] = p[2] = p[3] = 0;
  for (size_t i = 0; i < kAddressSize; ++i) {
    p[kOpenClientAddrOffset + i] = client_addr[i];
    p[kOpenServerAddrOffset + i] = server_addr[i];
  }
  StoreLe16(p + kOpenClientPortOffset, client_port);
  StoreLe16(p + kOpenServerPortOffset, server_port);
}

}  // namespace stream_format

#endif  // STREAM_FORMAT_STREAM_EVENT_FORMAT_H_

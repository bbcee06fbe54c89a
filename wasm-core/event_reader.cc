#include "event_reader.h"

namespace tsn {
namespace {

uint16_t ReadU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

uint32_t ReadU32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

uint64_t ReadU64(const uint8_t* p) { return uint64_t{ReadU32(p)} | (uint64_t{ReadU32(p + 4)} << 32); }

}  // namespace

EventReader::Result EventReader::Next(StreamEvent* ev, const char** reason) {
  if (pos_ == len_) return Result::kEnd;
  if (len_ - pos_ < kEventHeaderSize) {
    *reason = "event header truncated";
    return Result::kMalformed;
  }
  const uint8_t* h = data_ + pos_;
  const uint32_t payloadLen = ReadU32(h + 4);
  if (payloadLen > len_ - pos_ - kEventHeaderSize) {
    *reason = "event len runs past the batch";
    return Result::kMalformed;
  }
  pos_ += kEventHeaderSize + payloadLen;

  const uint8_t kind = h[0];
  ev->arg = h[1];
  ev->len = payloadLen;
  ev->conn = ReadU64(h + 8);
  ev->ts = static_cast<int64_t>(ReadU64(h + 16));
  ev->payload = h + kEventHeaderSize;
  if (ev->conn == 0) {
    *reason = "conn must not be 0";
    return Result::kInvalid;
  }
  switch (kind) {
    case 1: {
      if (payloadLen != kOpenPayloadSize) {
        *reason = "open payload must be 40 bytes";
        return Result::kInvalid;
      }
      const uint8_t* p = ev->payload;
      if (p[0] != 4 && p[0] != 6) {
        *reason = "open ipVersion must be 4 or 6";
        return Result::kInvalid;
      }
      ev->kind = EventKind::kOpen;
      ev->client.ipVersion = ev->server.ipVersion = p[0];
      for (int i = 0; i < 16; ++i) {
        ev->client.addr[i] = p[4 + i];
        ev->server.addr[i] = p[20 + i];
      }
      ev->client.port = ReadU16(p + 36);
      ev->server.port = ReadU16(p + 38);
      return Result::kEvent;
    }
    case 2:
      if (ev->arg > 1) {
        *reason = "data direction must be 0 or 1";
        return Result::kInvalid;
      }
      if (payloadLen == 0) {
        *reason = "data payload must not be empty";
        return Result::kInvalid;
      }
      ev->kind = EventKind::kData;
      return Result::kEvent;
    case 3:
      if (ev->arg > 1) {
        *reason = "gap direction must be 0 or 1";
        return Result::kInvalid;
      }
      if (payloadLen != kGapPayloadSize) {
        *reason = "gap payload must be 8 bytes";
        return Result::kInvalid;
      }
      ev->kind = EventKind::kGap;
      ev->lostBytes = ReadU64(ev->payload);
      return Result::kEvent;
    case 4:
      if (ev->arg > 4) {
        *reason = "close reason must be 0..4";
        return Result::kInvalid;
      }
      if (payloadLen != 0) {
        *reason = "close payload must be empty";
        return Result::kInvalid;
      }
      ev->kind = EventKind::kClose;
      return Result::kEvent;
    default:
      *reason = "unknown event kind";
      return Result::kInvalid;
  }
}

}  // namespace tsn

#include "event_reader.h"

namespace http_core {

namespace format = stream_format;

EventReader::Result EventReader::Next(StreamEvent* ev, const char** reason) {
  if (pos_ == len_) return Result::kEnd;
  if (len_ - pos_ < format::kHeaderSize) {
    *reason = "event header truncated";
    return Result::kMalformed;
  }
  const uint8_t* h = data_ + pos_;
  const format::EventHeader header = format::DecodeHeader(h);
  if (header.len > len_ - pos_ - format::kHeaderSize) {
    *reason = "event len runs past the batch";
    return Result::kMalformed;
  }
  pos_ += format::kHeaderSize + header.len;

  ev->arg = header.arg;
  ev->len = header.len;
  ev->conn = header.conn;
  ev->ts = header.ts;
  ev->payload = h + format::kHeaderSize;
  if (ev->conn == 0) {
    *reason = "conn must not be 0";
    return Result::kInvalid;
  }
  switch (static_cast<EventKind>(header.kind)) {
    case EventKind::kOpen: {
      if (header.len != format::kOpenPayloadSize) {
        *reason = "open payload must be 40 bytes";
        return Result::kInvalid;
      }
      const uint8_t* p = ev->payload;
      const uint8_t version = p[format::kOpenIpVersionOffset];
      if (version != static_cast<uint8_t>(format::IpVersion::kV4) &&
          version != static_cast<uint8_t>(format::IpVersion::kV6)) {
        *reason = "open ipVersion must be 4 or 6";
        return Result::kInvalid;
      }
      ev->kind = EventKind::kOpen;
      ev->client.ip_version = ev->server.ip_version = version;
      for (size_t i = 0; i < format::kAddressSize; ++i) {
        ev->client.addr[i] = p[format::kOpenClientAddrOffset + i];
        ev->server.addr[i] = p[format::kOpenServerAddrOffset + i];
      }
      ev->client.port = format::LoadLe16(p + format::kOpenClientPortOffset);
      ev->server.port = format::LoadLe16(p + format::kOpenServerPortOffset);
      return Result::kEvent;
    }
    case EventKind::kData:
      if (ev->arg > static_cast<uint8_t>(format::kLastDirection)) {
        *reason = "data direction must be 0 or 1";
        return Result::kInvalid;
      }
      if (header.len == 0) {
        *reason = "data payload must not be empty";
        return Result::kInvalid;
      }
      ev->kind = EventKind::kData;
      return Result::kEvent;
    case EventKind::kGap:
      if (ev->arg > static_cast<uint8_t>(format::kLastDirection)) {
        *reason = "gap direction must be 0 or 1";
        return Result::kInvalid;
      }
      if (header.len != format::kGapPayloadSize) {
        *reason = "gap payload must be 8 bytes";
        return Result::kInvalid;
      }
      ev->kind = EventKind::kGap;
      ev->lost_bytes = format::LoadLe64(ev->payload);
      return Result::kEvent;
    case EventKind::kClose:
      if (ev->arg > static_cast<uint8_t>(format::kLastCloseReason)) {
        *reason = "close reason must be 0..4";
        return Result::kInvalid;
      }
      if (header.len != format::kClosePayloadSize) {
        *reason = "close payload must be empty";
        return Result::kInvalid;
      }
      ev->kind = EventKind::kClose;
      return Result::kEvent;
  }
  *reason = "unknown event kind";
  return Result::kInvalid;
}

}  // namespace http_core

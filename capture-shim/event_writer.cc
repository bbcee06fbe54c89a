#include "event_writer.h"

#include <cstring>

namespace capture_shim {
namespace {

void PutLe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void PutLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void PutLe64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

uint8_t* EventWriter::Append(EventKind kind, uint8_t arg, uint32_t len, uint64_t conn, int64_t ts) {
  size_t at = buf_.size();
  // resize() value-initialises; the header is fully written and the payload by the caller.
  buf_.resize(at + kEventHeaderBytes + len);
  uint8_t* h = buf_.data() + at;
  h[0] = static_cast<uint8_t>(kind);
  h[1] = arg;
  PutLe16(h + 2, 0);
  PutLe32(h + 4, len);
  PutLe64(h + 8, conn);
  PutLe64(h + 16, static_cast<uint64_t>(ts));
  return h + kEventHeaderBytes;
}

void EventWriter::Open(uint64_t conn, uint8_t ip_version, const Endpoint& client,
                       const Endpoint& server, int64_t ts, bool sampled) {
  uint8_t* p = Append(EventKind::kOpen, sampled ? 1 : 0, kOpenPayloadBytes, conn, ts);
  p[0] = ip_version;
  p[1] = p[2] = p[3] = 0;
  std::memcpy(p + 4, client.addr, 16);
  std::memcpy(p + 20, server.addr, 16);
  PutLe16(p + 36, client.port);
  PutLe16(p + 38, server.port);
}

void EventWriter::Data(uint64_t conn, Direction dir, const uint8_t* bytes, uint32_t len,
                       int64_t ts) {
  uint8_t* p = Append(EventKind::kData, static_cast<uint8_t>(dir), len, conn, ts);
  std::memcpy(p, bytes, len);
}

void EventWriter::Gap(uint64_t conn, Direction dir, uint64_t lost_bytes, int64_t ts) {
  uint8_t* p = Append(EventKind::kGap, static_cast<uint8_t>(dir), kGapPayloadBytes, conn, ts);
  PutLe64(p, lost_bytes);
}

void EventWriter::Close(uint64_t conn, CloseReason reason, int64_t ts) {
  Append(EventKind::kClose, static_cast<uint8_t>(reason), 0, conn, ts);
}

}  // namespace capture_shim

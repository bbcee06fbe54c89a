#include "batch_writer.h"

#include <cstring>

namespace http_core {

namespace format = stream_format;

uint8_t* BatchWriter::Grow(size_t n) {
  const size_t at = bytes_.size();
  bytes_.resize(at + n);
  return bytes_.data() + at;
}

void BatchWriter::RawHeader(uint8_t kind, uint8_t arg, uint32_t len, uint64_t conn, int64_t ts) {
  format::EncodeHeader(Grow(format::kHeaderSize), {kind, arg, len, conn, ts});
}

void BatchWriter::Open(uint64_t conn, const uint8_t client_ip[4], uint16_t client_port,
                       const uint8_t server_ip[4], uint16_t server_port, int64_t ts) {
  uint8_t client[format::kAddressSize] = {}, server[format::kAddressSize] = {};
  std::memcpy(client, client_ip, 4);
  std::memcpy(server, server_ip, 4);
  Open(conn, format::IpVersion::kV4, client, client_port, server, server_port, true, ts);
}

void BatchWriter::Open(uint64_t conn, format::IpVersion version, const uint8_t* client_addr,
                       uint16_t client_port, const uint8_t* server_addr, uint16_t server_port,
                       bool sampled, int64_t ts) {
  RawHeader(static_cast<uint8_t>(format::EventKind::kOpen), sampled ? format::kOpenSampled : 0,
            format::kOpenPayloadSize, conn, ts);
  format::EncodeOpenPayload(Grow(format::kOpenPayloadSize), version, client_addr, client_port,
                            server_addr, server_port);
}

void BatchWriter::Data(uint64_t conn, Direction dir, std::string_view bytes, int64_t ts) {
  RawHeader(static_cast<uint8_t>(format::EventKind::kData), static_cast<uint8_t>(dir),
            static_cast<uint32_t>(bytes.size()), conn, ts);
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

void BatchWriter::Gap(uint64_t conn, Direction dir, uint64_t lost, int64_t ts) {
  RawHeader(static_cast<uint8_t>(format::EventKind::kGap), static_cast<uint8_t>(dir),
            format::kGapPayloadSize, conn, ts);
  format::StoreLe64(Grow(format::kGapPayloadSize), lost);
}

void BatchWriter::Close(uint64_t conn, CloseReason reason, int64_t ts) {
  RawHeader(static_cast<uint8_t>(format::EventKind::kClose), static_cast<uint8_t>(reason),
            format::kClosePayloadSize, conn, ts);
}

}  // namespace http_core

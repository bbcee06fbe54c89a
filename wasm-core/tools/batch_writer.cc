#include "batch_writer.h"

namespace tsn {

void BatchWriter::U16(uint16_t v) {
  U8(static_cast<uint8_t>(v));
  U8(static_cast<uint8_t>(v >> 8));
}
void BatchWriter::U32(uint32_t v) {
  U16(static_cast<uint16_t>(v));
  U16(static_cast<uint16_t>(v >> 16));
}
void BatchWriter::U64(uint64_t v) {
  U32(static_cast<uint32_t>(v));
  U32(static_cast<uint32_t>(v >> 32));
}

void BatchWriter::RawHeader(uint8_t kind, uint8_t arg, uint32_t len, uint64_t conn, int64_t ts) {
  U8(kind);
  U8(arg);
  U16(0);
  U32(len);
  U64(conn);
  U64(static_cast<uint64_t>(ts));
}

void BatchWriter::Open(uint64_t conn, const uint8_t clientIp[4], uint16_t clientPort,
                       const uint8_t serverIp[4], uint16_t serverPort, int64_t ts) {
  RawHeader(1, 1, 40, conn, ts);
  U8(4);
  U8(0); U8(0); U8(0);
  for (int i = 0; i < 16; ++i) U8(i < 4 ? clientIp[i] : 0);
  for (int i = 0; i < 16; ++i) U8(i < 4 ? serverIp[i] : 0);
  U16(clientPort);
  U16(serverPort);
}

void BatchWriter::Data(uint64_t conn, int dir, std::string_view bytes, int64_t ts) {
  RawHeader(2, static_cast<uint8_t>(dir), static_cast<uint32_t>(bytes.size()), conn, ts);
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

void BatchWriter::Gap(uint64_t conn, int dir, uint64_t lost, int64_t ts) {
  RawHeader(3, static_cast<uint8_t>(dir), 8, conn, ts);
  U64(lost);
}

void BatchWriter::Close(uint64_t conn, int reason, int64_t ts) {
  RawHeader(4, static_cast<uint8_t>(reason), 0, conn, ts);
}

}  // namespace tsn

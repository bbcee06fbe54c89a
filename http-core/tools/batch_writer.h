// BatchWriter: encodes stream events (docs/internals.md §1, stream-format/stream_event_format.h)
// for native tools and tests, the same bytes the shim and the TS decoder write.
#ifndef HTTP_CORE_TOOLS_BATCH_WRITER_H_
#define HTTP_CORE_TOOLS_BATCH_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stream_event_format.h"

namespace http_core {

class BatchWriter {
 public:
  using Direction = stream_format::Direction;
  using CloseReason = stream_format::CloseReason;

  // IPv4 addresses as 4 bytes; ports host order; the connection is announced as sampled.
  void Open(uint64_t conn, const uint8_t client_ip[4], uint16_t client_port,
            const uint8_t server_ip[4], uint16_t server_port, int64_t ts = -1);
  // Any IP version: addresses as kAddressSize bytes (IPv4 in the first 4).
  void Open(uint64_t conn, stream_format::IpVersion version, const uint8_t* client_addr,
            uint16_t client_port, const uint8_t* server_addr, uint16_t server_port, bool sampled,
            int64_t ts);
  void Data(uint64_t conn, Direction dir, std::string_view bytes, int64_t ts = -1);
  void Gap(uint64_t conn, Direction dir, uint64_t lost, int64_t ts = -1);
  void Close(uint64_t conn, CloseReason reason, int64_t ts = -1);
  // Appends a raw header with any values (for malformed-batch tests).
  void RawHeader(uint8_t kind, uint8_t arg, uint32_t len, uint64_t conn, int64_t ts);

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  void Clear() { bytes_.clear(); }

 private:
  // Appends n bytes and returns where they start.
  uint8_t* Grow(size_t n);
  std::vector<uint8_t> bytes_;
};

}  // namespace http_core

#endif  // HTTP_CORE_TOOLS_BATCH_WRITER_H_

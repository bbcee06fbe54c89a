// BatchWriter: encodes stream events (docs/internals.md §1) for native tools and tests, the way the
// shim and the TS decoder do.
#ifndef TSN_WASM_CORE_TOOLS_BATCH_WRITER_H_
#define TSN_WASM_CORE_TOOLS_BATCH_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tsn {

class BatchWriter {
 public:
  // ipv4 addresses as 4 bytes; ports host order.
  void Open(uint64_t conn, const uint8_t clientIp[4], uint16_t clientPort, const uint8_t serverIp[4],
            uint16_t serverPort, int64_t ts = -1);
  void Data(uint64_t conn, int dir, std::string_view bytes, int64_t ts = -1);
  void Gap(uint64_t conn, int dir, uint64_t lost, int64_t ts = -1);
  void Close(uint64_t conn, int reason, int64_t ts = -1);
  // Appends a raw header with any values (for malformed-batch tests).
  void RawHeader(uint8_t kind, uint8_t arg, uint32_t len, uint64_t conn, int64_t ts);

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  void Clear() { bytes_.clear(); }

 private:
  void U8(uint8_t v) { bytes_.push_back(v); }
  void U16(uint16_t v);
  void U32(uint32_t v);
  void U64(uint64_t v);
  std::vector<uint8_t> bytes_;
};

}  // namespace tsn

#endif  // TSN_WASM_CORE_TOOLS_BATCH_WRITER_H_

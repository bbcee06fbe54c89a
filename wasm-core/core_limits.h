// CoreLimits: the bounds that keep what one engine holds finite whatever the network sends.
#ifndef TSN_WASM_CORE_CORE_LIMITS_H_
#define TSN_WASM_CORE_CORE_LIMITS_H_

#include <cstdint>

namespace tsn {

struct CoreLimits {
  uint32_t maxBodySize = 65536;       // body bytes kept per message
  uint32_t maxHeaderBytes = 65536;    // start line + header names and values (+ trailers)
  uint32_t maxHeaderCount = 1000;     // header lines per message
  uint32_t maxPendingRequests = 256;  // pipelined requests awaiting a response, per connection
  uint32_t maxStashBytes = 65536;     // client bytes held while an upgrade awaits its response
  uint32_t maxStartLineBytes = 8192;  // longest start line that resynchronisation will consider
  uint32_t maxConnections = 250000;   // connections tracked at once by one engine
};

}  // namespace tsn

#endif  // TSN_WASM_CORE_CORE_LIMITS_H_

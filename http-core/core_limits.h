// CoreLimits: the bounds that keep what one engine holds finite whatever the network sends.
//
// max_body_size is the caller's option (ts/src/config.ts holds its default and rule) and has no
// value here. The others are the core's own bounds on untrusted input, not options: they are fixed
// here and documented in http-core/README.md ("Bounds"); tests lower them to reach them.
#ifndef HTTP_CORE_CORE_LIMITS_H_
#define HTTP_CORE_CORE_LIMITS_H_

#include <cstdint>

namespace http_core {

struct CoreLimits {
  explicit CoreLimits(uint32_t body_size) : max_body_size(body_size) {}
  uint32_t max_body_size;               // body bytes kept per message
  uint32_t max_header_bytes = 65536;    // start line + header names and values (+ trailers)
  uint32_t max_header_count = 1000;     // header lines per message
  uint32_t max_pending_requests = 256;  // pipelined requests awaiting a response, per connection
  uint32_t max_stash_bytes = 65536;     // client bytes held while an upgrade awaits its response
  uint32_t max_start_line_bytes = 8192;  // longest start line that resynchronisation will consider
  uint32_t max_connections = 250000;   // connections tracked at once by one engine
};

}  // namespace http_core

#endif  // HTTP_CORE_CORE_LIMITS_H_

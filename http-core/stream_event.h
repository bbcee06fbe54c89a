// The stream events of docs/internals.md §1 (stream-format/stream_event_format.h) as the core sees
// them after decoding, and the connection's endpoints taken from an `open` event.
#ifndef HTTP_CORE_STREAM_EVENT_H_
#define HTTP_CORE_STREAM_EVENT_H_

#include <cstddef>
#include <cstdint>

#include "stream_event_format.h"

namespace http_core {

using stream_format::CloseReason;
using stream_format::Direction;
using stream_format::EventKind;

struct Endpoint {
  uint8_t ip_version = 4;  // 4 or 6
  uint8_t addr[16] = {};  // IPv4 in the first 4 bytes
  uint16_t port = 0;
};

struct StreamEvent {
  EventKind kind = EventKind::kData;
  uint8_t arg = 0;  // direction, close reason or open flags
  uint64_t conn = 0;
  int64_t ts = -1;  // µs since the epoch; negative = unknown
  const uint8_t* payload = nullptr;
  uint32_t len = 0;

  // Decoded payloads (valid for the matching kind only).
  Endpoint client, server;  // kOpen
  uint64_t lost_bytes = 0;   // kGap
};

// Appends the textual form of ep's address ("10.0.0.1", "2001:db8::1") to out.
void AppendIpText(char* out, size_t cap, const Endpoint& ep);

}  // namespace http_core

#endif  // HTTP_CORE_STREAM_EVENT_H_

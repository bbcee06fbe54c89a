// CoreContext: what every connection's assembler shares inside one engine — the limits, the
// redaction list, the body budget, the counters and the output buffer.
#ifndef HTTP_CORE_CORE_CONTEXT_H_
#define HTTP_CORE_CORE_CONTEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "body_budget.h"
#include "core_limits.h"
#include "exchange_filter.h"
#include "message.h"
#include "message_pool.h"
#include "message_redaction.h"
#include "output_buffer.h"

namespace http_core {

// Counters reported by http_core_engine_stats. Every byte the core drops is counted under one of them.
struct CoreStats {
  uint64_t batches = 0;
  uint64_t malformed_batches = 0;
  uint64_t dropped_batch_bytes = 0;   // the rest of a batch after a framing error
  uint64_t invalid_events = 0;       // well-framed events breaking a rule, skipped
  uint64_t unknown_connection_events = 0;
  uint64_t duplicate_opens = 0;
  uint64_t connections_opened = 0;
  uint64_t connections_closed = 0;
  uint64_t connections_refused = 0;  // opens beyond max_connections
  uint64_t data_bytes = 0;
  uint64_t requests = 0;
  uint64_t responses = 0;
  uint64_t incomplete_messages = 0;
  uint64_t truncated_bodies = 0;
  uint64_t parse_errors = 0;
  uint64_t messages_after_close = 0;  // messages after one that announced the connection's end
  uint64_t gaps = 0;
  uint64_t gap_bytes = 0;
  uint64_t resyncs = 0;            // message starts found after a gap, an error or mid-stream pickup
  uint64_t skipped_bytes = 0;       // bytes passed over while looking for a message start
  uint64_t upgraded_bytes = 0;      // bytes after a 101 / CONNECT, not parsed
  uint64_t orphan_responses = 0;    // responses with no request seen
  uint64_t pending_overflows = 0;   // pipelined requests left unpaired: max_pending_requests waited
  uint64_t unpaired_requests = 0;   // requests emitted `unpaired` (see ExchangeQueue)
  uint64_t unpaired_responses = 0;  // responses emitted `unpaired`
  uint64_t pairing_lost = 0;        // connections whose pairing ended: messages may have gone unseen
  uint64_t chunked_recoveries = 0;  // chunked bodies whose framing was found again after a gap
  uint64_t stash_overflows = 0;     // upgrade waits whose held client bytes passed max_stash_bytes
  uint64_t non_http_connections[3] = {0, 0, 0};  // tls, http2, binary
  uint64_t non_http_bytes[3] = {0, 0, 0};
};

enum class NonHttpReason : uint8_t { kTls = 0, kHttp2 = 1, kBinary = 2 };
const char* NonHttpReasonName(NonHttpReason reason);

struct CoreContext {
  CoreContext(const CoreLimits& l, uint64_t max_buffered_bytes)
      : limits(l), budget(max_buffered_bytes) {}
  CoreLimits limits;
  Redaction redaction;
  MessageRedactor redactor;  // query parameters and body fields
  ExchangeFilter filter;
  BodyBudget budget;
  MessagePool messages;
  CoreStats stats;
  // Since the last clear: the message lines (one JSON object and a newline each, docs/internals.md §2),
  // how many, and the log records (the same form). Apart, so that the host takes the messages as one block.
  OutputBuffer out;
  TimestampWriter timestamps;  // the message lines' `timestamp`
  uint32_t out_messages = 0;
  OutputBuffer records;
  // `,"placement":{…}` closing every message (empty: none), set once by Engine::Configure.
  std::string placement;
};

}  // namespace http_core

#endif  // HTTP_CORE_CORE_CONTEXT_H_

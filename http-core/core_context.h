// CoreContext: what every connection's assembler shares inside one engine — the limits, the
// redaction list, the body budget, the counters and the output buffer.
#ifndef HTTP_CORE_CORE_CONTEXT_H_
#define HTTP_CORE_CORE_CONTEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "body_budget.h"
#include "core_limits.h"
#include "message.h"
#include "message_pool.h"
#include "output_buffer.h"

namespace http_core {

// Counters reported by http_core_engine_stats. Every byte the core drops is counted under one of them.
struct CoreStats {
  uint64_t batches = 0;
  uint64_t malformedBatches = 0;
  uint64_t droppedBatchBytes = 0;   // the rest of a batch after a framing error
  uint64_t invalidEvents = 0;       // well-framed events breaking a rule, skipped
  uint64_t unknownConnectionEvents = 0;
  uint64_t duplicateOpens = 0;
  uint64_t connectionsOpened = 0;
  uint64_t connectionsClosed = 0;
  uint64_t connectionsRefused = 0;  // opens beyond maxConnections
  uint64_t dataBytes = 0;
  uint64_t requests = 0;
  uint64_t responses = 0;
  uint64_t incompleteMessages = 0;
  uint64_t truncatedBodies = 0;
  uint64_t parseErrors = 0;
  uint64_t messagesAfterClose = 0;  // messages after one that announced the connection's end
  uint64_t gaps = 0;
  uint64_t gapBytes = 0;
  uint64_t resyncs = 0;            // message starts found after a gap, an error or mid-stream pickup
  uint64_t skippedBytes = 0;       // bytes passed over while looking for a message start
  uint64_t upgradedBytes = 0;      // bytes after a 101 / CONNECT, not parsed
  uint64_t orphanResponses = 0;    // responses with no request seen
  uint64_t pendingOverflows = 0;   // pipelined requests forgotten beyond maxPendingRequests
  uint64_t stashOverflows = 0;     // upgrade waits whose held client bytes passed maxStashBytes
  uint64_t nonHttpConnections[3] = {0, 0, 0};  // tls, http2, binary
  uint64_t nonHttpBytes[3] = {0, 0, 0};
};

enum class NonHttpReason : uint8_t { kTls = 0, kHttp2 = 1, kBinary = 2 };
const char* NonHttpReasonName(NonHttpReason reason);

struct CoreContext {
  CoreContext(const CoreLimits& l, uint64_t maxBufferedBytes) : limits(l), budget(maxBufferedBytes) {}
  CoreLimits limits;
  Redaction redaction;
  BodyBudget budget;
  MessagePool messages;
  CoreStats stats;
  OutputBuffer out;  // M/L records since the last clear
};

}  // namespace http_core

#endif  // HTTP_CORE_CORE_CONTEXT_H_

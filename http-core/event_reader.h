// EventReader: walks one batch of stream events (docs/internals.md §1) without copying.
//
// Framing errors (a header cut short, a `len` running past the batch) end the walk: the rest of the
// batch cannot be trusted and is reported as dropped bytes. An event whose frame is sound but whose
// content breaks a rule (unknown kind, bad direction, wrong payload size, conn 0) is skipped alone.
#ifndef HTTP_CORE_EVENT_READER_H_
#define HTTP_CORE_EVENT_READER_H_

#include <cstddef>
#include <cstdint>

#include "stream_event.h"

namespace http_core {

class EventReader {
 public:
  enum class Result {
    kEvent,      // *event holds a valid event
    kInvalid,    // one event was skipped: *reason names the rule it broke
    kEnd,        // the batch is consumed
    kMalformed,  // framing broken: the remaining DroppedBytes() are abandoned
  };

  // REQUIRES: data points at len readable bytes for the reader's lifetime (data may be null if len 0).
  EventReader(const uint8_t* data, size_t len) : data_(data), len_(len) {}

  Result Next(StreamEvent* event, const char** reason);

  // Bytes not consumed when kMalformed was returned.
  size_t DroppedBytes() const { return len_ - pos_; }

 private:
  const uint8_t* data_;
  size_t len_;
  size_t pos_ = 0;
};

}  // namespace http_core

#endif  // HTTP_CORE_EVENT_READER_H_

// Reads fixtures/stream-events/cases.md: each case's events in words and the batch bytes every
// writer and reader of the stream-event format must agree on.
#ifndef TESTS_STREAM_FORMAT_GOLDEN_CASES_H_
#define TESTS_STREAM_FORMAT_GOLDEN_CASES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "stream_event_format.h"

namespace stream_format::testing {

// One event as the words say it. Only the fields of its kind are meaningful.
struct GoldenEvent {
  EventKind kind = EventKind::kOpen;
  uint64_t conn = 0;
  int64_t ts = -1;
  // kOpen
  IpVersion version = IpVersion::kV4;
  bool sampled = false;
  uint8_t client_addr[kAddressSize] = {};
  uint8_t server_addr[kAddressSize] = {};
  uint16_t client_port = 0;
  uint16_t server_port = 0;
  // kData, kGap
  Direction dir = Direction::kClientToServer;
  std::string data;    // kData
  uint64_t lost = 0;   // kGap
  CloseReason reason = CloseReason::kFin;  // kClose

  // The header's arg byte for this event.
  uint8_t Arg() const;
};

struct GoldenCase {
  std::string title;
  int line = 0;  // of the "## " heading
  std::vector<GoldenEvent> events;
  std::vector<uint8_t> bytes;
};

// Parses the cases file at `path`. On a malformed line: false, and *error names the line and why.
bool ParseGoldenCases(const std::string& path, std::vector<GoldenCase>* out, std::string* error);

}  // namespace stream_format::testing

#endif  // TESTS_STREAM_FORMAT_GOLDEN_CASES_H_

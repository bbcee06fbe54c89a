// Test helpers: run stream events through a native Engine and read back its messages as JSON.
#ifndef TESTS_HTTP_CORE_DECODE_HELPERS_H_
#define TESTS_HTTP_CORE_DECODE_HELPERS_H_

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "batch_writer.h"
#include "engine.h"
#include "stream_event.h"

namespace http_core::test {

// One step of a scripted connection.
struct Step {
  enum Kind { kData, kGap, kClose } kind = kData;
  Direction dir = Direction::kClientToServer;
  std::string bytes;      // kData
  uint64_t lost = 0;      // kGap
  CloseReason reason = CloseReason::kFin;  // kClose
  int64_t ts = -1;
};

struct DecodeResult {
  std::string output;                   // raw M/L lines
  std::vector<boost::json::object> messages;
  std::vector<boost::json::object> logs;
  boost::json::object stats;
};

// The options tests start from: a 64 KiB body size (the fixtures' expectations assume it) and a
// budget far above what any test keeps unless it lowers it.
EngineOptions TestOptions();

// Runs steps on connection 1 (client 10.0.0.1:40000, server 10.0.0.2:80) in one batch per step.
DecodeResult Decode(const std::vector<Step>& steps, const EngineOptions& options = TestOptions());

// The same steps with every data step cut into pieces: at byte `at` (one cut) when at > 0, or into
// single bytes when at == 0.
std::vector<Step> SplitData(const std::vector<Step>& steps, size_t step_index, size_t at);
std::vector<Step> SplitEveryByte(const std::vector<Step>& steps);

// Parses the engine's output (message lines) and records (log lines) into messages and logs, and
// keeps both texts in result->output; fails the current test on a malformed line or a message count
// that is not the lines'.
void ParseOutput(const Engine& engine, DecodeResult* result);

Step Client(std::string bytes, int64_t ts = -1);
Step Server(std::string bytes, int64_t ts = -1);
Step GapOf(Direction dir, uint64_t lost, int64_t ts = -1);
Step CloseWith(CloseReason reason = CloseReason::kFin, int64_t ts = -1);

}  // namespace http_core::test

#endif  // TESTS_HTTP_CORE_DECODE_HELPERS_H_

// Hostile HTTP shapes for the core's fuzz target: one connection's events built from choices that
// the fuzzer's input makes (thousands of headers, header lines that never end, names repeated in
// other cases, obs-fold, NULs, pipelined HEAD/GET mixes with truncated bodies, random gaps and
// splits), and the invariants every output must keep.
#ifndef TESTS_HTTP_CORE_HOSTILE_TRAFFIC_H_
#define TESTS_HTTP_CORE_HOSTILE_TRAFFIC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "batch_writer.h"

namespace http_core::fuzz {

// Reads choices from the input; past its end every choice is 0 (so any input is a whole case).
class Choices {
 public:
  Choices(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint32_t Below(uint32_t n);  // in [0, n)
  bool Coin() { return Below(2) == 1; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

struct HostileCase {
  std::vector<uint8_t> batch;  // open, data/gap events in both directions, close
  // Every response's framing says where it ends (no body shorter than announced, which hides the
  // responses after it in its body): every paired response must then echo its request's path,
  // whatever gaps, bad requests or budget cuts came before it.
  bool answers_framed = true;
};

HostileCase MakeHostileCase(Choices& choices);

// Checks the engine's message lines for one case; returns an empty string or what was wrong.
std::string CheckHostileOutput(const std::string& output, bool answers_framed);

}  // namespace http_core::fuzz

#endif  // TESTS_HTTP_CORE_HOSTILE_TRAFFIC_H_

// Word-at-a-time byte tests, shared by the header-text and JSON-escaping walks: text is mostly long
// runs that need nothing, and testing eight bytes at once is what keeps those walks cheap. Each test
// is exact for the word as a whole (the "has a zero byte" bit trick), whatever the byte order.
#ifndef HTTP_CORE_WORD_BITS_H_
#define HTTP_CORE_WORD_BITS_H_

#include <cstdint>
#include <cstring>

namespace http_core {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

inline uint64_t Load64(const void* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Non-zero exactly when some byte of w equals b (which bits are set beyond that is unspecified).
inline uint64_t ByteMatchBits(uint64_t w, uint8_t b) {
  const uint64_t x = w ^ (kOnes * b);
  return (x - kOnes) & ~x & kHighBits;
}

}  // namespace http_core

#endif  // HTTP_CORE_WORD_BITS_H_

// Word-at-a-time byte tests, shared by the header-text and JSON-escaping walks: text is mostly long
// runs that need nothing, and testing eight bytes at once is what keeps those walks cheap. Each test
// is exact for the word as a whole (the "has a zero byte" bit trick), whatever the byte order.
#ifndef HTTP_CORE_WORD_BITS_H_
#define HTTP_CORE_WORD_BITS_H_

#include <cstddef>
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

inline uint32_t Load32(const void* p) {
  uint32_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline void Store64(void* p, uint64_t w) { std::memcpy(p, &w, sizeof w); }
inline void Store32(void* p, uint32_t w) { std::memcpy(p, &w, sizeof w); }

// A short text of 4 to 8 bytes as one word: its first four bytes, then its last four (they overlap
// when it is shorter than eight). A test that holds for every byte of the word holds for the text;
// the word is written back with StoreEnds. REQUIRES: 4 <= len <= 8.
inline uint64_t LoadEnds(const void* p, size_t len) {
  return Load32(p) | (uint64_t{Load32(static_cast<const char*>(p) + len - 4)} << 32);
}
inline void StoreEnds(void* p, size_t len, uint64_t w) {
  Store32(p, static_cast<uint32_t>(w));
  Store32(static_cast<char*>(p) + len - 4, static_cast<uint32_t>(w >> 32));
}

// Non-zero exactly when some byte of w equals b (which bits are set beyond that is unspecified).
inline uint64_t ByteMatchBits(uint64_t w, uint8_t b) {
  const uint64_t x = w ^ (kOnes * b);
  return (x - kOnes) & ~x & kHighBits;
}

// Copies n bytes by words, inline: a header name or value is a few dozen bytes, and a memcpy of a size
// not known at compile time is, in the WebAssembly build, a call out of the module (memory.copy) or
// into libc. REQUIRES: the ranges do not overlap.
inline void CopyBytes(char* dst, const char* src, size_t n) {
  if (n >= 8) {
    size_t k = 0;
    for (; k + 8 <= n; k += 8) Store64(dst + k, Load64(src + k));
    if (k < n) Store64(dst + n - 8, Load64(src + n - 8));  // the tail, through the last eight bytes
  } else if (n >= 4) {
    StoreEnds(dst, n, LoadEnds(src, n));
  } else {
    for (size_t k = 0; k < n; ++k) dst[k] = src[k];
  }
}

// High bit set in some byte unless every byte is one a JSON string carries as it is: ASCII from
// 0x20, except '"' and '\\'. (A byte from 0x80, part of a UTF-8 sequence or not, counts as special:
// those take the escaping walk's byte loop.)
inline uint64_t SpecialBits(uint64_t w) {
  return ((((w - kOnes * 0x20) & ~w) | w) & kHighBits) | ByteMatchBits(w, '"') | ByteMatchBits(w, '\\');
}

}  // namespace http_core

#endif  // HTTP_CORE_WORD_BITS_H_

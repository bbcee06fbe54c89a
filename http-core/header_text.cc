#include "header_text.h"

#include <cstdint>
#include <cstring>

#include "word_bits.h"

namespace http_core {
namespace {

// 0x20 in each byte that is an ASCII upper-case letter, 0 elsewhere.
inline uint64_t UpperBits(uint64_t w) {
  const uint64_t low7 = w & ~kHighBits;
  const uint64_t above_z = low7 + kOnes * (0x7F - 'Z');   // high bit set where low7 > 'Z'
  const uint64_t at_least_a = low7 + kOnes * (0x80 - 'A');  // high bit set where low7 >= 'A'
  return ((at_least_a & ~above_z & ~w) & kHighBits) >> 2;
}

}  // namespace

bool LowerAscii(char* p, size_t len) {
  uint64_t special = 0;
  if (len >= 8) {
    size_t k = 0;
    for (; k + 8 <= len; k += 8) {
      const uint64_t w = Load64(p + k);
      special |= SpecialBits(w);
      Store64(p + k, w | UpperBits(w));
    }
    if (k < len) {  // the tail, through the last eight bytes (lowering twice is harmless)
      const uint64_t w = Load64(p + len - 8);
      special |= SpecialBits(w);
      Store64(p + len - 8, w | UpperBits(w));
    }
    return special == 0;
  }
  if (len >= 4) {
    const uint64_t w = LoadEnds(p, len);
    StoreEnds(p, len, w | UpperBits(w));
    return SpecialBits(w) == 0;
  }
  bool plain = true;
  for (size_t k = 0; k < len; ++k) {
    const unsigned char c = static_cast<unsigned char>(p[k]);
    if (c >= 'A' && c <= 'Z') p[k] = static_cast<char>(c - 'A' + 'a');
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') plain = false;
  }
  return plain;
}

size_t NormalizeHeaderValue(char* p, size_t len) {
  size_t k = 0;
  while (k + 8 <= len && (ByteMatchBits(Load64(p + k), '\r') | ByteMatchBits(Load64(p + k), '\n')) == 0) k += 8;
  if (k < len && len >= 8 && (ByteMatchBits(Load64(p + len - 8), '\r') | ByteMatchBits(Load64(p + len - 8), '\n')) == 0) {
    k = len;  // the tail is within the last eight bytes, which hold no line break
  }
  for (; k < len; ++k) {
    if (p[k] == '\r' || p[k] == '\n') p[k] = ' ';
  }
  while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) --len;
  return len;
}

}  // namespace http_core

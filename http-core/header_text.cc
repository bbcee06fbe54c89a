#include "header_text.h"

#include <cstdint>
#include <cstring>

#include "word_bits.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace http_core {
namespace {

// 0x20 in each byte that is an ASCII upper-case letter, 0 elsewhere.
inline uint64_t UpperBits(uint64_t w) {
  const uint64_t low7 = w & ~kHighBits;
  const uint64_t above_z = low7 + kOnes * (0x7F - 'Z');   // high bit set where low7 > 'Z'
  const uint64_t at_least_a = low7 + kOnes * (0x80 - 'A');  // high bit set where low7 >= 'A'
  return ((at_least_a & ~above_z & ~w) & kHighBits) >> 2;
}

#if defined(__wasm_simd128__) || defined(__SSE2__)
// Byte masks of one 16-byte block (bit k for byte k): upper-case letters, bytes JSON must escape
// (read as signed, control bytes and those from 0x80 are the ones below 0x20), CR or LF. The block
// is stored back lower-cased when `lower`.
struct Block {
  uint32_t special;
  uint32_t line_break;
};
#if defined(__wasm_simd128__)
inline Block Scan16(char* p, bool lower) {
  const v128_t v = wasm_v128_load(p);
  if (lower) {
    const v128_t upper = wasm_v128_and(wasm_i8x16_gt(v, wasm_i8x16_splat('A' - 1)), wasm_i8x16_lt(v, wasm_i8x16_splat('Z' + 1)));
    wasm_v128_store(p, wasm_v128_or(v, wasm_v128_and(upper, wasm_i8x16_splat(0x20))));
  }
  const uint32_t special = wasm_i8x16_bitmask(wasm_v128_or(
      wasm_v128_or(wasm_i8x16_lt(v, wasm_i8x16_splat(0x20)), wasm_i8x16_eq(v, wasm_i8x16_splat('"'))),
      wasm_i8x16_eq(v, wasm_i8x16_splat('\\'))));
  const uint32_t line_break = wasm_i8x16_bitmask(wasm_v128_or(wasm_i8x16_eq(v, wasm_i8x16_splat('\r')),
                                                              wasm_i8x16_eq(v, wasm_i8x16_splat('\n'))));
  return Block{special, line_break};
}
#else
inline Block Scan16(char* p, bool lower) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  if (lower) {
    const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
  }
  const auto special = static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(
      _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));
  const auto line_break = static_cast<uint32_t>(_mm_movemask_epi8(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')))));
  return Block{special, line_break};
}
#endif
// Bits of the first n (< 16) bytes of a block.
inline uint32_t FirstBytes(size_t n) { return (1u << n) - 1; }
#endif

}  // namespace

bool LowerAsciiInArena(char* p, size_t len) {
#if defined(__wasm_simd128__) || defined(__SSE2__)
  uint32_t special = 0;
  size_t k = 0;
  for (; k + 16 <= len; k += 16) special |= Scan16(p + k, /*lower=*/true).special;
  if (k < len) special |= Scan16(p + k, /*lower=*/true).special & FirstBytes(len - k);
  return special == 0;
#else
  return LowerAscii(p, len);
#endif
}

size_t NormalizeHeaderValueInArena(char* p, size_t len) {
#if defined(__wasm_simd128__) || defined(__SSE2__)
  uint32_t line_break = 0;
  size_t k = 0;
  for (; k + 16 <= len; k += 16) line_break |= Scan16(p + k, /*lower=*/false).line_break;
  if (k < len) line_break |= Scan16(p + k, /*lower=*/false).line_break & FirstBytes(len - k);
  if (line_break != 0) return NormalizeHeaderValue(p, len);  // obs-fold: rare
  while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) --len;
  return len;
#else
  return NormalizeHeaderValue(p, len);
#endif
}

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

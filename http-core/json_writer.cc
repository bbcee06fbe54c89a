#include "json_writer.h"

#include <cstring>

#include "word_bits.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace http_core {
namespace {

// Length of the well-formed UTF-8 sequence starting at p (1..4), or 0 when it is not one.
size_t Utf8SequenceLength(const uint8_t* p, size_t avail) {
  const uint8_t b0 = p[0];
  if (b0 < 0x80) return 1;
  if (b0 < 0xC2) return 0;  // continuation byte or overlong 2-byte lead
  if (b0 < 0xE0) {
    return (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
  }
  if (b0 < 0xF0) {
    if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
    if (b0 == 0xE0 && p[1] < 0xA0) return 0;   // overlong
    if (b0 == 0xED && p[1] >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (b0 < 0xF5) {
    if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) {
      return 0;
    }
    if (b0 == 0xF0 && p[1] < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && p[1] >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

constexpr char kHex[] = "0123456789abcdef";

// "00" to "99": numbers are written two digits at a time.
constexpr char kPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// REQUIRES: c needs escaping (below 0x20, '"' or '\\').
inline char* WriteEscape(char* dst, uint8_t c) {
  char short_ = 0;
  switch (c) {
    case '"': short_ = '"'; break;
    case '\\': short_ = '\\'; break;
    case '\n': short_ = 'n'; break;
    case '\r': short_ = 'r'; break;
    case '\t': short_ = 't'; break;
    case '\b': short_ = 'b'; break;
    case '\f': short_ = 'f'; break;
    default:
      dst[0] = '\\';
      dst[1] = 'u';
      dst[2] = '0';
      dst[3] = '0';
      dst[4] = kHex[c >> 4];
      dst[5] = kHex[c & 0xF];
      return dst + 6;
  }
  dst[0] = '\\';
  dst[1] = short_;
  return dst + 2;
}

inline bool NeedsEscape(uint8_t c) { return c < 0x20 || c == '"' || c == '\\'; }

// Sixteen bytes in one vector test where the target has 128-bit vectors (SIMD128 in the WebAssembly
// build, SSE2 natively): the same predicate as SpecialBits. Read as signed, the bytes below 0x20 and
// those from 0x80 are exactly the ones less than 0x20: one compare for both.
#if defined(__wasm_simd128__)
// Each sixteen-byte test ends in its own bitmask: with one v128.any_true over the OR of the compares,
// LLVM turned each boolean lane back into a mask with two shifts, which V8 emulates with unpacks and
// packs on x86 (nine instructions more per test).
inline uint32_t Special16(const uint8_t* p) {
  const v128_t v = wasm_v128_load(p);
  return wasm_i8x16_bitmask(wasm_v128_or(wasm_v128_or(wasm_i8x16_lt(v, wasm_i8x16_splat(0x20)),
                                                      wasm_i8x16_eq(v, wasm_i8x16_splat('"'))),
                                         wasm_i8x16_eq(v, wasm_i8x16_splat('\\'))));
}
inline bool Plain16(const uint8_t* p) { return Special16(p) == 0; }
// Sixty-four bytes with one branch: bodies are mostly long plain runs.
inline bool Plain64(const uint8_t* p) {
  return (Special16(p) | Special16(p + 16) | Special16(p + 32) | Special16(p + 48)) == 0;
}
#elif defined(__SSE2__)
inline __m128i Special16(const uint8_t* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
                      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
}
inline bool Plain16(const uint8_t* p) { return _mm_movemask_epi8(Special16(p)) == 0; }
inline bool Plain64(const uint8_t* p) {
  return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(Special16(p), Special16(p + 16)),
                                        _mm_or_si128(Special16(p + 32), Special16(p + 48)))) == 0;
}
#else
inline bool Plain16(const uint8_t* p) { return (SpecialBits(Load64(p)) | SpecialBits(Load64(p + 8))) == 0; }
inline bool Plain64(const uint8_t* p) { return Plain16(p) && Plain16(p + 16) && Plain16(p + 32) && Plain16(p + 48); }
#endif

// Escapes text into dst. Invalid UTF-8 bytes become U+FFFD when kReplaceInvalid; otherwise the
// first one stops the walk and the result is nullptr.
template <bool kReplaceInvalid>
char* WriteEscapedText(char* dst, std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t len = text.size();
  // Short texts (most header values) with nothing to escape: at most two loads and two stores.
  if (len >= 8 && len <= 16) {
    const uint64_t head = Load64(p), tail = Load64(p + len - 8);
    if ((SpecialBits(head) | SpecialBits(tail)) == 0) {
      Store64(dst, head);
      Store64(dst + len - 8, tail);
      return dst + len;
    }
  } else if (len >= 4 && len < 8) {
    const uint64_t w = LoadEnds(p, len);
    if (SpecialBits(w) == 0) {
      StoreEnds(dst, len, w);
      return dst + len;
    }
  }
  size_t i = 0;
  while (i < len) {
    if (i + 64 <= len && Plain64(p + i)) {
      std::memcpy(dst, p + i, 64);
      dst += 64;
      i += 64;
      continue;
    }
    if (i + 16 <= len && Plain16(p + i)) {
      std::memcpy(dst, p + i, 16);
      dst += 16;
      i += 16;
      continue;
    }
    if (i + 8 <= len) {
      const uint64_t w = Load64(p + i);
      if (SpecialBits(w) == 0) {
        std::memcpy(dst, &w, 8);
        dst += 8;
        i += 8;
        continue;
      }
    } else if (len >= 8) {
      // A tail shorter than a word: test the text's last eight bytes. If they are all plain, the
      // ones before the tail were written as they are, so the word can be stored over them.
      const uint64_t w = Load64(p + len - 8);
      if (SpecialBits(w) == 0) {
        const size_t back = i - (len - 8);
        std::memcpy(dst - back, &w, 8);
        return dst + (8 - back);
      }
    }
    const size_t end = i + 8 <= len ? i + 8 : len;
    while (i < end) {
      const uint8_t c = p[i];
      if (c < 0x80) {
        if (NeedsEscape(c)) dst = WriteEscape(dst, c);
        else *dst++ = static_cast<char>(c);
        ++i;
        continue;
      }
      const size_t n = Utf8SequenceLength(p + i, len - i);
      if (n != 0) {
        for (size_t k = 0; k < n; ++k) *dst++ = static_cast<char>(p[i + k]);
        i += n;  // may end past this word: the next word starts there
        continue;
      }
      if (!kReplaceInvalid) return nullptr;
      dst = WriteLiteral(dst, "\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    }
  }
  return dst;
}

char* WritePadded(char* dst, uint64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    dst[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return dst + width;
}

// The std::string forms: room for the bound, write, keep what was written.
template <typename Write>
void AppendWritten(std::string& out, size_t bound, Write write) {
  const size_t old = out.size();
  out.resize(old + bound);
  char* end = write(out.data() + old);
  out.resize(static_cast<size_t>(end - out.data()));
}

}  // namespace

char* WriteUint(char* dst, uint64_t value) {
  // Most numbers in a message line are short (versions, exchanges, status codes, sizes).
  if (value < 10) {
    *dst = static_cast<char>('0' + value);
    return dst + 1;
  }
  // Two digits per division.
  char buf[20];
  char* const end = buf + sizeof buf;
  char* p = end;
  while (value >= 100) {
    p -= 2;
    std::memcpy(p, kPairs + 2 * (value % 100), 2);
    value /= 100;
  }
  if (value >= 10) {
    p -= 2;
    std::memcpy(p, kPairs + 2 * value, 2);
  } else {
    *--p = static_cast<char>('0' + value);
  }
  const size_t n = static_cast<size_t>(end - p);
  std::memcpy(dst, p, n);
  return dst + n;
}

char* WriteIso8601Micros(char* dst, int64_t micros) {
  const int64_t seconds = micros / 1000000;
  const int64_t frac = micros % 1000000;
  int64_t days = seconds / 86400;
  const int64_t sec_of_day = seconds % 86400;
  // Civil date from days since 1970-01-01 (Howard Hinnant's well-known derivation).
  days += 719468;
  const int64_t era = days / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t year = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2) ++year;
  dst = WritePadded(dst, static_cast<uint64_t>(year), 4);
  *dst++ = '-';
  dst = WritePadded(dst, static_cast<uint64_t>(month), 2);
  *dst++ = '-';
  dst = WritePadded(dst, static_cast<uint64_t>(day), 2);
  *dst++ = 'T';
  dst = WritePadded(dst, static_cast<uint64_t>(sec_of_day / 3600), 2);
  *dst++ = ':';
  dst = WritePadded(dst, static_cast<uint64_t>(sec_of_day / 60 % 60), 2);
  *dst++ = ':';
  dst = WritePadded(dst, static_cast<uint64_t>(sec_of_day % 60), 2);
  *dst++ = '.';
  dst = WritePadded(dst, static_cast<uint64_t>(frac), 6);
  *dst++ = 'Z';
  return dst;
}

char* TimestampWriter::Write(char* dst, int64_t micros) {
  const int64_t second = micros / 1000000;
  if (second != second_) {
    char full[27];
    WriteIso8601Micros(full, second * 1000000);
    std::memcpy(text_, full, sizeof text_);
    second_ = second;
  }
  std::memcpy(dst, text_, sizeof text_);
  dst += sizeof text_;
  const auto frac = static_cast<uint32_t>(micros - second * 1000000);
  std::memcpy(dst, kPairs + 2 * (frac / 10000), 2);
  std::memcpy(dst + 2, kPairs + 2 * (frac / 100 % 100), 2);
  std::memcpy(dst + 4, kPairs + 2 * (frac % 100), 2);
  dst[6] = 'Z';
  return dst + 7;
}

char* WriteMillisFromMicros(char* dst, int64_t micros) {
  dst = WriteUint(dst, static_cast<uint64_t>(micros / 1000));
  const int64_t frac = micros % 1000;
  if (frac == 0) return dst;
  const char buf[4] = {'.', static_cast<char>('0' + frac / 100),
                       static_cast<char>('0' + frac / 10 % 10), static_cast<char>('0' + frac % 10)};
  size_t n = 4;
  while (buf[n - 1] == '0') --n;
  std::memcpy(dst, buf, n);
  return dst + n;
}

char* WriteJsonEscaped(char* dst, std::string_view text) {
  return WriteEscapedText<true>(dst, text);
}

char* WriteJsonString(char* dst, std::string_view text) {
  *dst++ = '"';
  dst = WriteEscapedText<true>(dst, text);
  *dst++ = '"';
  return dst;
}

char* WriteJsonEscapedIfUtf8(char* dst, std::string_view text) {
  return WriteEscapedText<false>(dst, text);
}

char* WriteBase64(char* dst, const uint8_t* bytes, size_t len) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 3 <= len; i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = kAlphabet[(v >> 6) & 63];
    *dst++ = kAlphabet[v & 63];
  }
  if (i < len) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    if (i + 1 < len) v |= uint32_t{bytes[i + 1]} << 8;
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = (i + 1 < len) ? kAlphabet[(v >> 6) & 63] : '=';
    *dst++ = '=';
  }
  return dst;
}

void AppendUint(std::string& out, uint64_t value) {
  AppendWritten(out, 20, [&](char* dst) { return WriteUint(dst, value); });
}

void AppendJsonString(std::string& out, std::string_view text) {
  AppendWritten(out, kMaxEscapedBytesPer * text.size() + 2,
                [&](char* dst) { return WriteJsonString(dst, text); });
}

bool AppendJsonStringIfUtf8(std::string& out, std::string_view text) {
  bool ok = true;
  AppendWritten(out, kMaxEscapedBytesPer * text.size() + 2, [&](char* dst) {
    char* start = dst;
    *dst++ = '"';
    dst = WriteJsonEscapedIfUtf8(dst, text);
    if (dst == nullptr) {
      ok = false;
      return start;
    }
    *dst++ = '"';
    return dst;
  });
  return ok;
}

void AppendBase64(std::string& out, const uint8_t* bytes, size_t len) {
  AppendWritten(out, (len + 2) / 3 * 4, [&](char* dst) { return WriteBase64(dst, bytes, len); });
}

void AppendIso8601Micros(std::string& out, int64_t micros) {
  AppendWritten(out, 27, [&](char* dst) { return WriteIso8601Micros(dst, micros); });
}

void AppendMillisFromMicros(std::string& out, int64_t micros) {
  AppendWritten(out, 24, [&](char* dst) { return WriteMillisFromMicros(dst, micros); });
}

}  // namespace http_core

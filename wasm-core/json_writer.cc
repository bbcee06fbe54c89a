#include "json_writer.h"

#include <cstring>

namespace tsn {
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

// Escapes one ASCII byte; returns false when it needs no escaping.
inline bool AppendEscaped(std::string& out, uint8_t c) {
  switch (c) {
    case '"': out += "\\\""; return true;
    case '\\': out += "\\\\"; return true;
    case '\n': out += "\\n"; return true;
    case '\r': out += "\\r"; return true;
    case '\t': out += "\\t"; return true;
    case '\b': out += "\\b"; return true;
    case '\f': out += "\\f"; return true;
    default:
      if (c < 0x20) {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
        return true;
      }
      return false;
  }
}

inline bool NeedsEscape(uint8_t c) { return c < 0x20 || c == '"' || c == '\\'; }

// Word-at-a-time checks: bodies are mostly long runs that need nothing, and a byte loop was most of
// the core's time on a large capture. Each test is exact for the word as a whole (bit-twiddling
// "has a byte less than n" / "has a zero byte"), whatever the byte order.
constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

inline uint64_t Load64(const uint8_t* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

inline bool HasZeroByte(uint64_t w) { return ((w - kOnes) & ~w & kHighBits) != 0; }

// A byte below 0x20, '"' or '\\' among the eight.
inline bool WordNeedsEscape(uint64_t w) {
  return (((w - kOnes * 0x20) & ~w & kHighBits) != 0) || HasZeroByte(w ^ (kOnes * '"')) ||
         HasZeroByte(w ^ (kOnes * '\\'));
}

}  // namespace

bool IsValidUtf8(const uint8_t* bytes, size_t len) {
  size_t i = 0;
  while (i < len) {
    // ASCII runs are the common case in HTTP bodies: skip them eight at a time.
    while (i + 8 <= len && (Load64(bytes + i) & kHighBits) == 0) i += 8;
    if (i >= len) break;
    const size_t n = Utf8SequenceLength(bytes + i, len - i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void AppendBase64(std::string& out, const uint8_t* bytes, size_t len) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t start = out.size();
  out.resize(start + (len + 2) / 3 * 4);
  char* dst = out.data() + start;
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
}

void AppendUint(std::string& out, uint64_t value) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) out += buf[--n];
}

namespace {

void AppendPadded(std::string& out, uint64_t value, int width) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

}  // namespace

void AppendIso8601Micros(std::string& out, int64_t micros) {
  const int64_t seconds = micros / 1000000;
  const int64_t frac = micros % 1000000;
  int64_t days = seconds / 86400;
  const int64_t secOfDay = seconds % 86400;
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
  AppendPadded(out, static_cast<uint64_t>(year), 4);
  out += '-';
  AppendPadded(out, static_cast<uint64_t>(month), 2);
  out += '-';
  AppendPadded(out, static_cast<uint64_t>(day), 2);
  out += 'T';
  AppendPadded(out, static_cast<uint64_t>(secOfDay / 3600), 2);
  out += ':';
  AppendPadded(out, static_cast<uint64_t>(secOfDay / 60 % 60), 2);
  out += ':';
  AppendPadded(out, static_cast<uint64_t>(secOfDay % 60), 2);
  out += '.';
  AppendPadded(out, static_cast<uint64_t>(frac), 6);
  out += 'Z';
}

void AppendMillisFromMicros(std::string& out, int64_t micros) {
  AppendUint(out, static_cast<uint64_t>(micros / 1000));
  int64_t frac = micros % 1000;
  if (frac == 0) return;
  char buf[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                 static_cast<char>('0' + frac % 10)};
  size_t n = 4;
  while (buf[n - 1] == '0') --n;
  out.append(buf, n);
}

void AppendJsonStringUtf8(std::string& out, std::string_view text) {
  out += '"';
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t len = text.size();
  size_t runStart = 0;
  size_t i = 0;
  while (i < len) {
    if (i + 8 <= len && !WordNeedsEscape(Load64(p + i))) {
      i += 8;
      continue;
    }
    const size_t end = i + 8 <= len ? i + 8 : len;
    for (; i < end; ++i) {
      if (!NeedsEscape(p[i])) continue;
      out.append(text.data() + runStart, i - runStart);
      AppendEscaped(out, p[i]);
      runStart = i + 1;
    }
  }
  out.append(text.data() + runStart, len - runStart);
  out += '"';
}

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  AppendJsonEscaped(out, text);
  out += '"';
}

void AppendJsonEscaped(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t len = text.size();
  size_t runStart = 0;
  size_t i = 0;
  while (i < len) {
    const uint8_t c = p[i];
    if (c < 0x80) {
      if (NeedsEscape(c)) {
        out.append(text.data() + runStart, i - runStart);
        AppendEscaped(out, c);
        runStart = i + 1;
      }
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(p + i, len - i);
    if (n == 0) {
      out.append(text.data() + runStart, i - runStart);
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
      runStart = i;
    } else {
      i += n;
    }
  }
  out.append(text.data() + runStart, len - runStart);
}

}  // namespace tsn

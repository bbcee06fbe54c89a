#include "start_line.h"

#include <cstring>

namespace http_core {
namespace {

bool IsMethodChar(uint8_t c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; }

// "HTTP/1.0" or "HTTP/1.1" at p, then an optional CR and the LF that ends the line at p[len-1].
bool VersionEndsLine(const uint8_t* p, size_t len) {
  if (len < 9 || std::memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1')) return false;
  size_t j = 8;
  if (j < len && p[j] == '\r') ++j;
  return j == len - 1 && p[j] == '\n';
}

}  // namespace

bool LooksLikeRequestLine(const uint8_t* p, size_t len) {
  size_t i = 0;
  while (i < len && i <= 24 && IsMethodChar(p[i])) ++i;
  if (i == 0 || i > 24 || i >= len || p[i] != ' ') return false;
  const size_t target = ++i;
  while (i < len && p[i] > 0x20 && p[i] != 0x7F) ++i;
  if (i == target || i >= len || p[i] != ' ') return false;
  ++i;
  return VersionEndsLine(p + i, len - i);
}

bool LooksLikeStatusLine(const uint8_t* p, size_t len) {
  if (len < 13 || std::memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1')) return false;
  if (p[8] != ' ') return false;
  for (int k = 9; k < 12; ++k) {
    if (p[k] < '0' || p[k] > '9') return false;
  }
  return p[12] == ' ' || p[12] == '\r' || p[12] == '\n';
}

bool CouldStartLine(bool is_client, uint8_t first) {
  return is_client ? IsMethodChar(first) : first == 'H';
}

bool IsHttp2Preface(const uint8_t* p, size_t len) {
  static constexpr char kPreface[] = "PRI * HTTP/2.0\r\n";
  return len == sizeof(kPreface) - 1 && std::memcmp(p, kPreface, len) == 0;
}

}  // namespace http_core

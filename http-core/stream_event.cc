#include "stream_event.h"

namespace http_core {

namespace {

// Small bounded writer: never writes past cap - 1, always NUL-terminates.
struct Out {
  char* p;
  size_t cap;
  size_t n = 0;
  void Put(char c) {
    if (n + 1 < cap) p[n++] = c;
    p[n < cap ? n : cap - 1] = '\0';
  }
  void Dec(unsigned v) {
    char b[4];
    int k = 0;
    do { b[k++] = static_cast<char>('0' + v % 10); v /= 10; } while (v);
    while (k) Put(b[--k]);
  }
  void Hex(unsigned v) {
    static constexpr char kHex[] = "0123456789abcdef";
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned d = (v >> shift) & 0xF;
      if (d || started || shift == 0) { Put(kHex[d]); started = true; }
    }
  }
};

}  // namespace

void AppendIpText(char* out, size_t cap, const Endpoint& ep) {
  if (cap == 0) return;
  Out o{out, cap};
  out[0] = '\0';
  if (ep.ip_version == 4) {
    for (int i = 0; i < 4; ++i) {
      if (i) o.Put('.');
      o.Dec(ep.addr[i]);
    }
    return;
  }
  unsigned words[8];
  for (int i = 0; i < 8; ++i) words[i] = (unsigned{ep.addr[2 * i]} << 8) | ep.addr[2 * i + 1];
  // RFC 5952: compress the longest run (>= 2) of zero words, the first one on ties.
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) { ++i; continue; }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) { best_start = i; best_len = j - i; }
    i = j;
  }
  // IPv4-mapped addresses (::ffff:a.b.c.d) read best in their dotted form.
  if (best_start == 0 && best_len == 5 && words[5] == 0xffff) {
    o.Put(':'); o.Put(':'); o.Put('f'); o.Put('f'); o.Put('f'); o.Put('f'); o.Put(':');
    for (int i = 12; i < 16; ++i) {
      if (i > 12) o.Put('.');
      o.Dec(ep.addr[i]);
    }
    return;
  }
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      o.Put(':');
      if (i == 0) o.Put(':');
      i += best_len - 1;
      continue;
    }
    o.Hex(words[i]);
    if (i < 7) o.Put(':');
  }
}

}  // namespace http_core

#include "value_rules.h"

#include "filter_rules.h"
#include "url_host.h"

#include <cstdint>
#include <set>
#include <vector>

namespace injector {
namespace {

constexpr std::uint64_t kMaxSafeInteger = 9007199254740991ULL;  // 2^53 - 1, as in JS

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ASCII decimal digits only, at most 2^53 - 1.
std::optional<std::uint64_t> ParseInteger(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > kMaxSafeInteger) return std::nullopt;
  }
  return value;
}

ValueCheck Fail(std::string rule) { return ValueCheck{false, std::move(rule), {}}; }
ValueCheck Pass(std::string rule, std::string normalized) {
  return ValueCheck{true, std::move(rule), std::move(normalized)};
}

// The integer options' ranges are those of the sidecar's one table (ts/src/config.ts INTEGER_LIMITS);
// the shared cases hold both to every bound and its neighbour.
ValueCheck CheckIntegerRange(std::string_view raw, std::uint64_t min, std::uint64_t max) {
  std::string rule = "integer from " + std::to_string(min) + " to " + std::to_string(max);
  auto v = ParseInteger(TrimBlanks(raw));
  if (!v || *v < min || *v > max) return Fail(std::move(rule));
  return Pass(std::move(rule), std::to_string(*v));
}

std::vector<std::string_view> SplitCommas(std::string_view s) {
  std::vector<std::string_view> items;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = s.find(',', start);
    items.push_back(TrimBlanks(s.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                                : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

ValueCheck CheckPorts(std::string_view raw) {
  const std::string kRange = "integers 1-65535";
  std::string_view s = TrimBlanks(raw);
  if (s.empty()) return Fail("non-empty list");
  std::vector<std::uint64_t> ports;
  for (std::string_view item : SplitCommas(s)) {
    auto v = ParseInteger(item);
    if (!v || *v < 1 || *v > 65535) return Fail(kRange);
    ports.push_back(*v);
  }
  std::set<std::uint64_t> seen;
  std::string normalized;
  for (auto p : ports) {
    if (!seen.insert(p).second) return Fail("no duplicates");
    if (!normalized.empty()) normalized.push_back(',');
    normalized += std::to_string(p);
  }
  return Pass(kRange, normalized);
}

ValueCheck CheckSampleRate(std::string_view raw) {
  const std::string kRule = "decimal number in [0, 1]";
  std::string_view s = TrimBlanks(raw);
  std::size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  auto all_digits = [](std::string_view p) {
    for (char c : p) if (!IsDigit(c)) return false;
    return true;
  };
  if (whole.empty() && frac.empty()) return Fail(kRule);
  if (!all_digits(whole) || !all_digits(frac)) return Fail(kRule);
  // Compare exactly on the digits rather than through a double: 1.0000001 must fail.
  std::size_t first = whole.find_first_not_of('0');
  std::string_view significant = first == std::string_view::npos ? std::string_view{} : whole.substr(first);
  bool frac_zero = frac.find_first_not_of('0') == std::string_view::npos;
  bool in_range = significant.empty() || (significant == "1" && frac_zero);
  if (!in_range) return Fail(kRule);
  return Pass(kRule, std::string(s));
}

bool IsTchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

ValueCheck CheckRedactHeaders(std::string_view raw) {
  const std::string kRule = "comma-separated header names";
  std::string_view s = TrimBlanks(raw);
  if (s.empty()) return Pass(kRule, "");
  std::string normalized;
  for (std::string_view item : SplitCommas(s)) {
    if (item.empty()) return Fail(kRule);
    for (char c : item) if (!IsTchar(static_cast<unsigned char>(c))) return Fail(kRule);
    if (!normalized.empty()) normalized.push_back(',');
    for (char c : item) normalized.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
  }
  return Pass(kRule, normalized);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

ValueCheck CheckOutputStdout(std::string_view raw) {
  std::string_view s = TrimBlanks(raw);
  if (EqualsIgnoreCase(s, "true")) return Pass("true or false", "true");
  if (EqualsIgnoreCase(s, "false")) return Pass("true or false", "false");
  return Fail("true or false");
}

ValueCheck CheckLogLevel(std::string_view raw) {
  const std::string kRule = "debug, info, warn or error";
  std::string_view s = TrimBlanks(raw);
  for (const char* level : {"debug", "info", "warn", "error"}) {
    if (EqualsIgnoreCase(s, level)) return Pass(kRule, level);
  }
  return Fail(kRule);
}

ValueCheck CheckInterface(std::string_view raw) {
  const std::string kRule = "1-15 characters, no whitespace or /";
  std::string_view s = TrimBlanks(raw);
  if (s.empty() || s.size() > 15) return Fail(kRule);
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    // Whitespace and control bytes, '/', and anything outside ASCII (which cannot name a Linux
    // interface through this surface).
    if (u <= 0x20 || u == 0x7f || u >= 0x80 || c == '/') return Fail(kRule);
  }
  return Pass(kRule, std::string(s));
}

// A WHATWG "forbidden host code point" or a byte no host may carry.
bool ForbiddenInHost(unsigned char c) {
  if (c <= 0x20 || c == 0x7f) return true;
  switch (c) {
    case '#': case '%': case '/': case ':': case '<': case '>': case '?': case '@': case '[':
    case '\\': case ']': case '^': case '|':
      return true;
    default:
      return false;
  }
}

// REQUIRES: `hostport` is the authority without user info.
bool ValidHostPort(std::string_view hostport) {
  std::string_view host = hostport, port;
  if (!hostport.empty() && hostport.front() == '[') {
    std::size_t close = hostport.find(']');
    if (close == std::string_view::npos || !IsValidIpv6Literal(hostport.substr(1, close - 1))) return false;
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
    }
    host = {};
  } else {
    std::size_t colon = hostport.find(':');
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
    }
    if (host.empty()) return false;
    for (char c : host) if (ForbiddenInHost(static_cast<unsigned char>(c))) return false;
    // WHATWG reads a host whose last label is a number as IPv4 and refuses it if that fails
    // (999.1.1.1, 1.2.3.4.5); the sidecar's `new URL()` would, so must we.
    if (EndsInNumber(host) && !IsValidIpv4Host(host)) return false;
  }
  if (!port.empty()) {
    auto p = ParseInteger(port);
    if (!p || *p > 65535) return false;
  }
  return true;
}

ValueCheck CheckOutputUrl(std::string_view raw) {
  const std::string kRule = "absolute http(s) URL";
  std::string_view s = TrimBlanks(raw);
  std::size_t scheme_end = s.find("://");
  if (scheme_end == std::string_view::npos) return Fail(kRule);
  std::string_view scheme = s.substr(0, scheme_end);
  if (!EqualsIgnoreCase(scheme, "http") && !EqualsIgnoreCase(scheme, "https")) return Fail(kRule);
  std::string_view rest = s.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#\\"));
  std::size_t at = authority.rfind('@');
  std::string_view hostport = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (!ValidHostPort(hostport)) return Fail(kRule);
  // Credentials would end up in logs and in the Pod spec; the token belongs in a Secret.
  if (at != std::string_view::npos) return Fail("no credentials in URL");
  for (char c : rest) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return Fail(kRule);
  }
  return Pass(kRule, std::string(s));
}

}  // namespace

std::string_view TrimBlanks(std::string_view raw) {
  std::size_t b = raw.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  std::size_t e = raw.find_last_not_of(" \t");
  return raw.substr(b, e - b + 1);
}

std::optional<ValueCheck> CheckValue(std::string_view key, std::string_view raw) {
  if (key == "ports") return CheckPorts(raw);
  if (key == "outputUrl") return CheckOutputUrl(raw);
  if (key == "interface") return CheckInterface(raw);
  if (key == "sampleRate") return CheckSampleRate(raw);
  if (key == "maxBodySize") return CheckIntegerRange(raw, 0, kMaxBodySize);
  if (key == "maxConcurrentConnections") return CheckIntegerRange(raw, 1, 250000);
  if (key == "connectionIdleTimeoutMs") return CheckIntegerRange(raw, 1000, kMaxTimeoutMs);
  if (key == "drainTimeoutMs") return CheckIntegerRange(raw, 0, kMaxTimeoutMs);
  if (key == "maxBufferedBytes") return CheckIntegerRange(raw, 1048576, 1073741824);
  if (key == "outputStdout") return CheckOutputStdout(raw);
  if (key == "redactHeaders") return CheckRedactHeaders(raw);
  if (key == "logLevel") return CheckLogLevel(raw);
  return CheckFilterValue(key, raw);
}

}  // namespace injector

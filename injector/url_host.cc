#include "url_host.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace injector {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  char lower = static_cast<char>(c | 0x20);
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

bool HasHexPrefix(std::string_view s) { return s.size() >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x'; }

std::vector<std::string_view> SplitDots(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    parts.push_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

// The WHATWG "IPv4 number": decimal, octal after a leading 0, hex after 0x; "0x" alone is 0. Any value
// is accepted by the grammar, so it saturates: everything above 2^32 fails the range checks alike.
std::optional<std::uint64_t> ParseIpv4Number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  unsigned radix = 10;
  if (HasHexPrefix(s)) {
    s.remove_prefix(2);
    radix = 16;
  } else if (s.size() >= 2 && s[0] == '0') {
    s.remove_prefix(1);
    radix = 8;
  }
  constexpr std::uint64_t kSaturated = std::uint64_t{1} << 33;
  std::uint64_t value = 0;
  for (char c : s) {
    int digit = HexValue(c);
    if (digit < 0 || static_cast<unsigned>(digit) >= radix) return std::nullopt;
    value = value * radix + static_cast<unsigned>(digit);
    if (value > kSaturated) value = kSaturated;
  }
  return value;
}

}  // namespace

bool EndsInNumber(std::string_view host) {
  std::vector<std::string_view> parts = SplitDots(host);
  if (parts.back().empty()) {
    if (parts.size() == 1) return false;
    parts.pop_back();
  }
  std::string_view last = parts.back();
  if (last.empty()) return false;
  bool all_digits = true;
  for (char c : last) all_digits = all_digits && IsDigit(c);
  if (all_digits) return true;
  if (!HasHexPrefix(last)) return false;
  for (char c : last.substr(2)) if (HexValue(c) < 0) return false;
  return true;
}

bool IsValidIpv4Host(std::string_view host) {
  std::vector<std::string_view> parts = SplitDots(host);
  if (parts.back().empty() && parts.size() > 1) parts.pop_back();
  if (parts.size() > 4) return false;
  std::vector<std::uint64_t> numbers;
  for (std::string_view part : parts) {
    auto n = ParseIpv4Number(part);
    if (!n) return false;
    numbers.push_back(*n);
  }
  for (std::size_t i = 0; i + 1 < numbers.size(); ++i) {
    if (numbers[i] > 255) return false;
  }
  // The last number fills the bytes the earlier ones left: 2^32 for one number, 2^8 for four.
  std::uint64_t limit = std::uint64_t{1} << (8 * (5 - numbers.size()));
  return numbers.back() < limit;
}

bool IsValidIpv6Literal(std::string_view s) {
  // Follows the WHATWG IPv6 parser step by step, keeping only what decides validity.
  std::size_t i = 0;
  int piece = 0;
  bool compressed = false;
  auto at = [&](std::size_t k) { return k < s.size() ? s[k] : '\0'; };
  if (at(0) == ':') {
    if (at(1) != ':') return false;
    i = 2;
    piece = 1;
    compressed = true;
  }
  while (i < s.size()) {
    if (piece == 8) return false;
    if (s[i] == ':') {
      if (compressed) return false;
      ++i;
      ++piece;
      compressed = true;
      continue;
    }
    std::size_t length = 0;
    while (length < 4 && HexValue(at(i)) >= 0) {
      ++i;
      ++length;
    }
    if (at(i) == '.') {
      // An embedded IPv4 address takes the last two pieces.
      if (length == 0 || piece > 6) return false;
      i -= length;
      int numbers_seen = 0;
      while (i < s.size()) {
        if (numbers_seen > 0) {
          if (s[i] != '.' || numbers_seen >= 4) return false;
          ++i;
        }
        if (!IsDigit(at(i))) return false;
        int value = -1;
        while (IsDigit(at(i))) {
          if (value == 0) return false;  // no leading zeros
          value = (value < 0 ? 0 : value * 10) + (s[i] - '0');
          if (value > 255) return false;
          ++i;
        }
        ++numbers_seen;
        if (numbers_seen == 2 || numbers_seen == 4) ++piece;
      }
      return numbers_seen == 4 && (compressed || piece == 8);
    }
    if (at(i) == ':') {
      ++i;
      if (i == s.size()) return false;
    } else if (i < s.size()) {
      return false;
    }
    ++piece;
  }
  return compressed || piece == 8;
}

}  // namespace injector

#include "filter_rules.h"

#include <string>

namespace injector {
namespace {

ValueCheck Fail(const char* rule) { return ValueCheck{false, rule, {}}; }
ValueCheck Pass(const char* rule, std::string normalized) { return ValueCheck{true, rule, std::move(normalized)}; }

bool IsTokenChar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Calls item(trimmed) for each comma-separated item; false as soon as one returns false.
template <typename F>
bool EachItem(std::string_view s, F item) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = s.find(',', start);
    if (!item(TrimBlanks(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)))) {
      return false;
    }
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

ValueCheck CheckRedactNames(std::string_view raw) {
  constexpr const char* kRule = "comma-separated names (visible ASCII, at most 128 characters each)";
  const std::string_view s = TrimBlanks(raw);
  std::string normalized;
  const bool ok = EachItem(s, [&normalized](std::string_view item) {
    if (item.empty() || item.size() > 128) return false;
    for (char c : item) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x21 || u > 0x7e) return false;
    }
    if (!normalized.empty()) normalized.push_back(',');
    for (char c : item) normalized.push_back(Lower(c));
    return true;
  });
  return ok ? Pass(kRule, normalized) : Fail(kRule);
}

ValueCheck CheckMethods(std::string_view raw) {
  constexpr const char* kRule = "comma-separated method names";
  std::string normalized;
  const bool ok = EachItem(TrimBlanks(raw), [&normalized](std::string_view item) {
    if (item.empty()) return false;
    for (char c : item) if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
    if (!normalized.empty()) normalized.push_back(',');
    for (char c : item) normalized.push_back(Upper(c));
    return true;
  });
  return ok ? Pass(kRule, normalized) : Fail(kRule);
}

ValueCheck CheckPatternShape(std::string_view raw) {
  constexpr const char* kRule = "regular expression of the supported syntax";
  const std::string_view s = TrimBlanks(raw);
  if (s.empty() || s.size() > 1024) return Fail(kRule);
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return Fail(kRule);
  }
  return Pass(kRule, std::string(s));
}

}  // namespace

std::optional<ValueCheck> CheckFilterValue(std::string_view key, std::string_view raw) {
  if (key == "redactQueryParams" || key == "redactBodyFields") return CheckRedactNames(raw);
  if (key == "httpAllowMethod") return CheckMethods(raw);
  if (key == "httpAllowUrl" || key == "httpDisallowUrl" || key == "httpAllowHost") return CheckPatternShape(raw);
  return std::nullopt;
}

}  // namespace injector

#include "query_redaction.h"

namespace http_core {
namespace {

constexpr std::string_view kRedacted = "[REDACTED]";

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = LowerAscii(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Calls visit(name, value_begin, value_end) for every `name=value` item of urlencoded text, where
// value_begin/end are offsets into text; items are split on `&` (and `;`, which some servers also
// accept). Returns how many visits returned true.
template <typename Visit>
size_t ForEachParam(std::string_view text, Visit visit) {
  size_t hits = 0;
  size_t i = 0;
  while (i <= text.size()) {
    size_t end = i;
    while (end < text.size() && text[end] != '&' && text[end] != ';') ++end;
    const std::string_view item = text.substr(i, end - i);
    const size_t eq = item.find('=');
    if (eq != std::string_view::npos && eq + 1 < item.size()) {
      if (visit(item.substr(0, eq), i + eq + 1, end)) ++hits;
    }
    i = end + 1;
  }
  return hits;
}

}  // namespace

bool NameList::Parse(std::string_view csv) {
  names_.clear();
  longest_ = 0;
  while (!csv.empty()) {
    const size_t comma = csv.find(',');
    std::string_view name = csv.substr(0, comma);
    csv = comma == std::string_view::npos ? std::string_view() : csv.substr(comma + 1);
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.empty()) continue;
    if (name.size() > kMaxNameBytes) {
      names_.clear();
      longest_ = 0;
      return false;
    }
    std::string lower(name);
    for (char& c : lower) c = LowerAscii(c);
    if (lower.size() > longest_) longest_ = lower.size();
    names_.push_back(std::move(lower));
  }
  return true;
}

bool NameList::Contains(std::string_view lower) const {
  if (lower.size() > longest_) return false;
  for (const std::string& n : names_) {
    if (n == lower) return true;
  }
  return false;
}

bool NameList::MatchesRaw(std::string_view raw, bool url_encoded) const {
  if (names_.empty()) return false;
  char buf[kMaxNameBytes];
  size_t n = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (url_encoded && c == '+') {
      c = ' ';
    } else if (url_encoded && c == '%' && i + 2 < raw.size()) {
      const int hi = HexValue(raw[i + 1]);
      const int lo = HexValue(raw[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = static_cast<char>(hi * 16 + lo);
        i += 2;
      }
    }
    // Decoded, the name is already longer than any listed one.
    if (n >= longest_) return false;
    buf[n++] = LowerAscii(c);
  }
  return Contains(std::string_view(buf, n));
}

size_t RedactUrlencoded(std::string_view text, const NameList& names, std::string& out) {
  size_t copied = 0;
  const size_t hits = ForEachParam(text, [&](std::string_view name, size_t vb, size_t ve) {
    if (!names.MatchesRaw(name, /*url_encoded=*/true)) return false;
    out.append(text.data() + copied, vb - copied);
    out.append(kRedacted);
    copied = ve;
    return true;
  });
  out.append(text.substr(copied));
  return hits;
}

size_t RedactUrlQuery(std::string_view url, const NameList& names, std::string& out) {
  if (names.empty()) return 0;
  const size_t q = url.find('?');
  if (q == std::string_view::npos) return 0;
  const size_t hash = url.find('#', q);
  const std::string_view query = url.substr(q + 1, hash == std::string_view::npos ? hash : hash - q - 1);
  // A first pass decides; the common URL with nothing to hide is never copied.
  if (ForEachParam(query, [&](std::string_view name, size_t, size_t) {
        return names.MatchesRaw(name, true);
      }) == 0) {
    return 0;
  }
  out.append(url.data(), q + 1);
  const size_t hits = RedactUrlencoded(query, names, out);
  out.append(url.substr(q + 1 + query.size()));
  return hits;
}

}  // namespace http_core

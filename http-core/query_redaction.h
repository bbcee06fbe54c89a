// Query redaction: the values of named parameters in `application/x-www-form-urlencoded` text (a
// URL's query, a form body) become `[REDACTED]`; every other byte is kept as it was.
//
// Names are matched case-insensitively after percent-decoding and `+` → space, as a server reads
// them, so `Tok%65n=…` is redacted under `token`. A parameter without `=` or with an empty value
// has nothing to hide and is kept.
#ifndef HTTP_CORE_QUERY_REDACTION_H_
#define HTTP_CORE_QUERY_REDACTION_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace http_core {

// A list of lower-case names. Names longer than kMaxNameBytes are refused when parsed (a name that
// long is no secret's name), which bounds the decoding buffer of every lookup.
class NameList {
 public:
  static constexpr size_t kMaxNameBytes = 128;

  // Replaces the list with the comma-separated names of csv (trimmed, lower-cased, empty items
  // skipped). Returns false, leaving the list empty, when a name is longer than kMaxNameBytes.
  bool Parse(std::string_view csv);
  bool empty() const { return names_.empty(); }
  // REQUIRES: lower is lower-case.
  bool Contains(std::string_view lower) const;
  // Whether `raw` (case-insensitive; percent-escapes and `+` decoded when `url_encoded`) is listed.
  bool MatchesRaw(std::string_view raw, bool url_encoded) const;

 private:
  std::vector<std::string> names_;
  size_t longest_ = 0;
};

// Appends to out the urlencoded text with the values of listed names replaced, and returns the
// number of values replaced. When it returns 0, out holds an unchanged copy of text.
size_t RedactUrlencoded(std::string_view text, const NameList& names, std::string& out);

// A URL or request-target (`/p?a=1`, `https://h/p?a=1#f`): only the query (after the first `?`,
// up to `#`) is redacted. Returns the number of values replaced; out is written only when > 0.
size_t RedactUrlQuery(std::string_view url, const NameList& names, std::string& out);

}  // namespace http_core

#endif  // HTTP_CORE_QUERY_REDACTION_H_

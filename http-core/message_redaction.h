// MessageRedactor: redaction beyond header names, applied to a message just before its JSON line is
// written, so that every output (and anything built from the messages, HAR included) sees only the
// redacted text.
//
// - Query parameters (query_params): values in `path` and in the URL-valued headers `referer`,
//   `location` and `content-location` become `[REDACTED]`. The redacted text is appended to the
//   message's arena and the span moved to it.
// - Body fields (body_fields): values of listed keys at any depth of a JSON body (`application/json`,
//   `…+json`, `application/x-ndjson`) become the string "[REDACTED]"; values of listed names in an
//   `application/x-www-form-urlencoded` body become `[REDACTED]`. The kept body itself is not
//   touched (the body budget accounts for its size): the redacted copy is what gets written.
//   `bodySize` stays the wire size. A body with a Content-Encoding other than identity cannot be
//   read here: it is written as it is and counted (bodies_encoded), like a JSON body that does not
//   parse (bodies_unparsed; values replaced before the bad byte stay replaced). The TS layer's
//   decoded-bodies stage passes such a body back once decoded (RedactDecoded, the
//   http_core_redact_body export), so a decoded body is redacted by this same code.
#ifndef HTTP_CORE_MESSAGE_REDACTION_H_
#define HTTP_CORE_MESSAGE_REDACTION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "message.h"
#include "query_redaction.h"

namespace http_core {

struct RedactionCounters {
  uint64_t urls_redacted = 0;    // paths and URL-valued headers with at least one value replaced
  uint64_t bodies_redacted = 0;  // bodies with at least one value replaced
  uint64_t bodies_unparsed = 0;  // JSON bodies with a syntax error or nested too deep, left as they were past it
  uint64_t bodies_encoded = 0;   // JSON or form bodies with a Content-Encoding: not read, left as they are
};

class MessageRedactor {
 public:
  NameList query_params;
  NameList body_fields;

  // Redacts m's URL text in place and returns the body to write: m.held's bytes, or a redacted copy
  // that stays valid until the next call.
  std::string_view Apply(Message& m);
  const RedactionCounters& counters() const { return counters_; }

  // A body whose Content-Encoding the caller removed after the core (decoded bodies): the same rules
  // and counters as a kept body. Returns the redacted copy (valid until the next call), or null when
  // nothing was replaced. `cut_expected`: the body was cut short, so ending inside a value is no error.
  const std::string* RedactDecoded(std::string_view content_type, std::string_view body, bool cut_expected);

 private:
  bool RedactUrl(Message& m, Span& span);
  std::string_view RedactBody(const Message& m);
  // Redacts a JSON (or, with `form`, urlencoded) text into body_; false when nothing was replaced.
  bool RedactText(bool form, std::string_view text, bool cut_expected);

  RedactionCounters counters_;
  std::string url_;
  std::string body_;
};

}  // namespace http_core

#endif  // HTTP_CORE_MESSAGE_REDACTION_H_

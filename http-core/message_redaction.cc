#include "message_redaction.h"

#include <string_view>

#include "json_redaction.h"

namespace http_core {
namespace {

enum class BodyKind : uint8_t { kOther, kJson, kForm };

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// The media type of a Content-Type value, parameters ignored.
BodyKind KindOf(std::string_view content_type) {
  const std::string_view type = Trim(content_type.substr(0, content_type.find(';')));
  if (EqualsLower(type, "application/json") || EqualsLower(type, "application/x-ndjson")) {
    return BodyKind::kJson;
  }
  if (type.size() > 5 && type.find('/') != std::string_view::npos &&
      EqualsLower(type.substr(type.size() - 5), "+json")) {
    return BodyKind::kJson;
  }
  if (EqualsLower(type, "application/x-www-form-urlencoded")) return BodyKind::kForm;
  return BodyKind::kOther;
}

bool IsUrlHeader(std::string_view lower_name) {
  return lower_name == "referer" || lower_name == "location" || lower_name == "content-location";
}

}  // namespace

bool MessageRedactor::RedactUrl(Message& m, Span& span) {
  url_.clear();
  if (RedactUrlQuery(m.Text(span), query_params, url_) == 0) return false;
  span.off = static_cast<uint32_t>(m.arena.size());
  span.len = static_cast<uint32_t>(url_.size());
  m.arena.Append(url_);
  return true;
}

std::string_view MessageRedactor::RedactBody(const Message& m) {
  const std::string_view kept = m.held.bytes();
  if (body_fields.empty() || kept.empty()) return kept;
  BodyKind kind = BodyKind::kOther;
  bool encoded = false;
  for (const Header& h : m.headers) {
    const std::string_view name = m.Text(h.name);
    if (name == "content-type") {
      kind = KindOf(m.Text(h.value));
    } else if (name == "content-encoding") {
      const std::string_view coding = Trim(m.Text(h.value));
      encoded = !coding.empty() && !EqualsLower(coding, "identity");
    }
  }
  if (kind == BodyKind::kOther) return kept;
  if (encoded) {
    ++counters_.bodies_encoded;
    return kept;
  }
  return RedactText(kind == BodyKind::kForm, kept, m.body_truncated || m.incomplete) ? body_ : kept;
}

bool MessageRedactor::RedactText(bool form, std::string_view text, bool cut_expected) {
  body_.clear();
  size_t values = 0;
  if (form) {
    values = RedactUrlencoded(text, body_fields, body_);
  } else {
    const JsonRedaction r = RedactJson(text, body_fields, body_);
    values = r.values;
    // A body cut by maxBodySize, the budget or the connection's end ends inside a value: that is
    // not a syntax error.
    if (r.end == JsonRedaction::End::kMalformed || r.end == JsonRedaction::End::kTooDeep ||
        (r.end == JsonRedaction::End::kCut && !cut_expected)) {
      ++counters_.bodies_unparsed;
    }
  }
  if (values == 0) return false;
  ++counters_.bodies_redacted;
  return true;
}

const std::string* MessageRedactor::RedactDecoded(std::string_view content_type, std::string_view body,
                                                  bool cut_expected) {
  if (body_fields.empty() || body.empty()) return nullptr;
  const BodyKind kind = KindOf(content_type);
  if (kind == BodyKind::kOther) return nullptr;
  return RedactText(kind == BodyKind::kForm, body, cut_expected) ? &body_ : nullptr;
}

std::string_view MessageRedactor::Apply(Message& m) {
  if (!query_params.empty()) {
    bool redacted = m.is_request && RedactUrl(m, m.path);
    for (Header& h : m.headers) {
      if (IsUrlHeader(m.Text(h.name))) redacted = RedactUrl(m, h.value) || redacted;
    }
    if (redacted) ++counters_.urls_redacted;
  }
  if (!m.has_body) return m.held.bytes();
  return RedactBody(m);
}

}  // namespace http_core

#include "message.h"

#include "json_writer.h"

namespace tsn {

void Message::ReleaseLargeBuffers() {
  // Small buffers are kept for the next message; large ones go back to the allocator.
  if (arena.capacity() > 2048) std::string().swap(arena);
  if (headers.capacity() > 64) std::vector<Header>().swap(headers);
}

void Message::Reset(bool request) {
  isRequest = request;
  ReleaseLargeBuffers();
  arena.clear();
  headers.clear();
  method = "";
  path = statusMessage = Span{};
  statusCode = 0;
  httpMajor = httpMinor = 1;
  held.cut = false;
  bodySize = 0;
  bodyTruncated = false;
  hasBody = false;
  exchange = 0;
  startTs = endTs = requestStartTs = -1;
  incomplete = false;
  gapInBody = false;
  upgrade.clear();
  hasUpgrade = false;
  error = nullptr;
  errorText.clear();
}

bool Redaction::Matches(std::string_view lowerName) const {
  for (const std::string& n : names) {
    if (n == lowerName) return true;
  }
  return false;
}

namespace {

void AppendHeaders(std::string& out, const Message& msg, const Redaction& redaction) {
  out += "\"headers\":{";
  const size_t n = msg.headers.size();
  bool first = true;
  for (size_t i = 0; i < n; ++i) {
    const std::string_view name = msg.Text(msg.headers[i].name);
    // Repeated names are written once, at their first occurrence, with every value.
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) seen = msg.Text(msg.headers[j].name) == name;
    if (seen) continue;
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, name);
    out += ':';
    const bool redact = redaction.Matches(name);
    const bool isSetCookie = name == "set-cookie";
    if (isSetCookie) out += '[';
    else out += '"';
    bool firstValue = true;
    for (size_t j = i; j < n; ++j) {
      if (j != i && msg.Text(msg.headers[j].name) != name) continue;
      if (isSetCookie) {
        if (!firstValue) out += ',';
        if (redact) out += "\"[REDACTED]\"";
        else AppendJsonString(out, msg.Text(msg.headers[j].value));
      } else if (!redact) {
        if (!firstValue) out += ", ";
        // Escaped without quotes: one pair of quotes wraps the joined values.
        std::string_view v = msg.Text(msg.headers[j].value);
        AppendJsonEscaped(out, v);
      }
      firstValue = false;
    }
    if (isSetCookie) out += ']';
    else {
      if (redact) out += "[REDACTED]";
      out += '"';
    }
  }
  out += '}';
}

}  // namespace

void AppendMessageLine(std::string& out, const Message& msg, const ConnectionJson& conn,
                       const Redaction& redaction) {
  out += "M{";
  if (msg.startTs >= 0) {
    out += "\"timestamp\":\"";
    AppendIso8601Micros(out, msg.startTs);
    out += "\",";
  }
  out += msg.isRequest ? "\"direction\":\"request\"" : "\"direction\":\"response\"";
  out += ",\"connectionId\":";
  out += conn.id;
  out += ",\"exchange\":";
  AppendUint(out, msg.exchange);
  out += ",\"source\":";
  out += msg.isRequest ? conn.client : conn.server;
  out += ",\"destination\":";
  out += msg.isRequest ? conn.server : conn.client;
  out += ",\"receiver\":";
  out += conn.server;
  out += ",\"httpVersion\":\"";
  AppendUint(out, msg.httpMajor);
  out += '.';
  AppendUint(out, msg.httpMinor);
  out += '"';
  if (msg.isRequest) {
    out += ",\"method\":";
    AppendJsonString(out, msg.method);
    out += ",\"path\":";
    AppendJsonString(out, msg.Text(msg.path));
  } else {
    out += ",\"statusCode\":";
    AppendUint(out, msg.statusCode);
    out += ",\"statusMessage\":";
    AppendJsonString(out, msg.Text(msg.statusMessage));
  }
  out += ',';
  AppendHeaders(out, msg, redaction);
  if (msg.hasBody) {
    const std::string& body = msg.held.body;
    const auto* bytes = reinterpret_cast<const uint8_t*>(body.data());
    if (IsValidUtf8(bytes, body.size())) {
      out += ",\"body\":";
      AppendJsonStringUtf8(out, body);
      out += ",\"bodyEncoding\":\"utf8\"";
    } else {
      out += ",\"body\":\"";
      AppendBase64(out, bytes, body.size());
      out += "\",\"bodyEncoding\":\"base64\"";
    }
  }
  out += ",\"bodySize\":";
  AppendUint(out, msg.bodySize);
  out += msg.bodyTruncated ? ",\"bodyTruncated\":true" : ",\"bodyTruncated\":false";
  if (!msg.isRequest && msg.requestStartTs >= 0 && msg.endTs >= 0) {
    out += ",\"elapsedMs\":";
    AppendMillisFromMicros(out, msg.endTs > msg.requestStartTs ? msg.endTs - msg.requestStartTs : 0);
  }
  if (msg.hasUpgrade) {
    out += ",\"upgrade\":";
    AppendJsonString(out, msg.upgrade);
  }
  if (msg.incomplete) out += ",\"incomplete\":true";
  if (msg.error != nullptr) {
    out += ",\"error\":";
    AppendJsonString(out, msg.error);
  }
  out += "}\n";
}

}  // namespace tsn

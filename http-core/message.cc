#include "message.h"

#include <cstring>
#include <utility>

#include "header_groups.h"
#include "json_writer.h"

namespace http_core {

void Message::ReleaseLargeBuffers() {
  // Small buffers are kept for the next message; large ones go back to the allocator.
  if (arena.capacity() > 2048) arena.Release();
  if (headers.capacity() > 64) std::vector<Header>().swap(headers);
}

void Message::Reset(bool request) {
  is_request = request;
  ReleaseLargeBuffers();
  arena.clear();
  headers.clear();
  method = "";
  path = status_message = Span{};
  status_code = 0;
  http_major = http_minor = 1;
  names_need_escaping = false;
  held.cut = false;
  body_size = 0;
  body_truncated = false;
  has_body = false;
  exchange = 0;
  start_ts = end_ts = request_start_ts = -1;
  incomplete = false;
  unpaired = false;
  gap_in_body = false;
  upgrade.clear();
  has_upgrade = false;
  error = nullptr;
  error_text.clear();
}

void ConnectionJson::Set(uint64_t conn_id, const Endpoint& client, const Endpoint& server) {
  // Each endpoint: {"ip":"<at most 45 characters of IPv6 text>","port":65535}, under 80 bytes.
  char buf[2 + 20 + 2 * 80];
  char* p = buf;
  *p++ = '"';
  p = WriteUint(p, conn_id);
  *p++ = '"';
  id_len_ = static_cast<uint8_t>(p - buf);
  for (const Endpoint* ep : {&client, &server}) {
    char* const start = p;
    char ip[64];
    AppendIpText(ip, sizeof ip, *ep);
    p = WriteLiteral(p, "{\"ip\":\"");
    p = WriteBytes(p, ip);
    p = WriteLiteral(p, "\",\"port\":");
    p = WriteUint(p, ep->port);
    *p++ = '}';
    if (ep == &client) client_len_ = static_cast<uint8_t>(p - start);
  }
  text_.assign(buf, static_cast<size_t>(p - buf));
}

void Redaction::Add(std::string lower_name) {
  lengths_ |= uint64_t{1} << (lower_name.size() & 63);
  names_.push_back(std::move(lower_name));
}

namespace {

// Bytes a header section can take in the line: every name and value escaped, plus per header
// quotes, separators, "[REDACTED]" and the ", " that joins repeated values.
size_t HeadersBound(const Message& msg) {
  return kMaxEscapedBytesPer * msg.arena.size() + 32 * msg.headers.size() + 16;
}

char* WriteHeaders(char* p, const Message& msg, const Redaction& redaction) {
  p = WriteLiteral(p, "\"headers\":{");
  HeaderGroups groups;
  groups.Build(msg);
  const size_t n = msg.headers.size();
  bool first = true;
  for (size_t i = 0; i < n; ++i) {
    // Repeated names are written once, at their first occurrence, with every value.
    if (!groups.IsFirst(i)) continue;
    const std::string_view name = msg.Text(msg.headers[i].name);
    if (!first) *p++ = ',';
    first = false;
    if (msg.names_need_escaping) {
      p = WriteJsonString(p, name);
    } else {
      *p++ = '"';
      p = WriteBytes(p, name);
      *p++ = '"';
    }
    *p++ = ':';
    const bool redact = redaction.Matches(name);
    const bool is_set_cookie = name == "set-cookie";
    *p++ = is_set_cookie ? '[' : '"';
    bool first_value = true;
    for (uint32_t j = static_cast<uint32_t>(i); j != HeaderGroups::kEnd; j = groups.Next(j)) {
      if (is_set_cookie) {
        if (!first_value) *p++ = ',';
        if (redact) p = WriteLiteral(p, "\"[REDACTED]\"");
        else p = WriteJsonString(p, msg.Text(msg.headers[j].value));
      } else if (!redact) {
        if (!first_value) p = WriteLiteral(p, ", ");
        // Escaped without quotes: one pair of quotes wraps the joined values.
        p = WriteJsonEscaped(p, msg.Text(msg.headers[j].value));
      }
      first_value = false;
    }
    if (is_set_cookie) {
      *p++ = ']';
    } else {
      if (redact) p = WriteLiteral(p, "[REDACTED]");
      *p++ = '"';
    }
  }
  *p++ = '}';
  return p;
}

// Body slices are escaped one at a time so that the room asked for stays a few times the slice,
// not the body. A slice never ends before a continuation byte, so a well-formed UTF-8 body is
// cut only between characters and each slice is checked exactly as the whole would be.
constexpr size_t kBodySlice = 16 << 10;

// Writes `,"body":"…","bodyEncoding":…`, as UTF-8 when it is, else as base64.
void WriteBody(OutputBuffer& out, std::string_view body) {
  const size_t mark = out.size();
  char* p = WriteLiteral(out.Reserve(16), ",\"body\":\"");
  out.Commit(p);
  std::string_view rest = body;
  bool utf8 = true;
  while (!rest.empty() && utf8) {
    size_t take = rest.size() < kBodySlice ? rest.size() : kBodySlice;
    for (int k = 0; k < 3 && take < rest.size() && (static_cast<uint8_t>(rest[take]) & 0xC0) == 0x80; ++k) --take;
    p = WriteJsonEscapedIfUtf8(out.Reserve(kMaxEscapedBytesPer * take), rest.substr(0, take));
    if (p == nullptr) utf8 = false;
    else out.Commit(p);
    rest.remove_prefix(take);
  }
  if (utf8) {
    out.Commit(WriteLiteral(out.Reserve(32), "\",\"bodyEncoding\":\"utf8\""));
    return;
  }
  out.Truncate(mark);
  p = out.Reserve((body.size() + 2) / 3 * 4 + 48);
  p = WriteLiteral(p, ",\"body\":\"");
  p = WriteBase64(p, reinterpret_cast<const uint8_t*>(body.data()), body.size());
  out.Commit(WriteLiteral(p, "\",\"bodyEncoding\":\"base64\""));
}

}  // namespace

void AppendMessageLine(OutputBuffer& out, TimestampWriter& timestamps, const Message& msg,
                       const ConnectionJson& conn, const Redaction& redaction, std::string_view body,
                       std::string_view tail) {
  // Everything before the body: fixed text and numbers (≤ 400 bytes), the connection's JSON, the
  // escaped start-line text and headers.
  const size_t endpoint = conn.client().size() > conn.server().size() ? conn.client().size()
                                                                      : conn.server().size();
  char* p = out.Reserve(400 + conn.id().size() + 3 * endpoint +
                        kMaxEscapedBytesPer * std::strlen(msg.method) + HeadersBound(msg));
  *p++ = '{';
  if (msg.start_ts >= 0) {
    p = WriteLiteral(p, "\"timestamp\":\"");
    p = timestamps.Write(p, msg.start_ts);
    p = WriteLiteral(p, "\",");
  }
  p = msg.is_request ? WriteLiteral(p, "\"direction\":\"request\"")
                    : WriteLiteral(p, "\"direction\":\"response\"");
  p = WriteLiteral(p, ",\"connectionId\":");
  p = WriteBytes(p, conn.id());
  p = WriteLiteral(p, ",\"exchange\":");
  p = WriteUint(p, msg.exchange);
  p = WriteLiteral(p, ",\"source\":");
  p = WriteBytes(p, msg.is_request ? conn.client() : conn.server());
  p = WriteLiteral(p, ",\"destination\":");
  p = WriteBytes(p, msg.is_request ? conn.server() : conn.client());
  p = WriteLiteral(p, ",\"receiver\":");
  p = WriteBytes(p, conn.server());
  p = WriteLiteral(p, ",\"httpVersion\":\"");
  p = WriteUint(p, msg.http_major);
  *p++ = '.';
  p = WriteUint(p, msg.http_minor);
  *p++ = '"';
  if (msg.is_request) {
    p = WriteLiteral(p, ",\"method\":");
    p = WriteJsonString(p, msg.method);
    p = WriteLiteral(p, ",\"path\":");
    p = WriteJsonString(p, msg.Text(msg.path));
  } else {
    p = WriteLiteral(p, ",\"statusCode\":");
    p = WriteUint(p, msg.status_code);
    p = WriteLiteral(p, ",\"statusMessage\":");
    p = WriteJsonString(p, msg.Text(msg.status_message));
  }
  *p++ = ',';
  p = WriteHeaders(p, msg, redaction);
  out.Commit(p);
  if (msg.has_body) WriteBody(out, body);
  const size_t error_len = msg.error != nullptr ? std::strlen(msg.error) : 0;
  p = out.Reserve(256 + kMaxEscapedBytesPer * (msg.upgrade.size() + error_len) + tail.size());
  p = WriteLiteral(p, ",\"bodySize\":");
  p = WriteUint(p, msg.body_size);
  p = msg.body_truncated ? WriteLiteral(p, ",\"bodyTruncated\":true")
                        : WriteLiteral(p, ",\"bodyTruncated\":false");
  if (!msg.is_request && msg.request_start_ts >= 0 && msg.end_ts >= 0) {
    p = WriteLiteral(p, ",\"elapsedMs\":");
    p = WriteMillisFromMicros(
        p, msg.end_ts > msg.request_start_ts ? msg.end_ts - msg.request_start_ts : 0);
  }
  if (msg.has_upgrade) {
    p = WriteLiteral(p, ",\"upgrade\":");
    p = WriteJsonString(p, msg.upgrade);
  }
  if (msg.unpaired) p = WriteLiteral(p, ",\"unpaired\":true");
  if (msg.incomplete) p = WriteLiteral(p, ",\"incomplete\":true");
  if (msg.error != nullptr) {
    p = WriteLiteral(p, ",\"error\":");
    p = WriteJsonString(p, msg.error);
  }
  p = WriteBytes(p, tail);
  p = WriteLiteral(p, "}\n");
  out.Commit(p);
}

}  // namespace http_core

#include "http_assembler.h"

#include <cstring>

#include "json_writer.h"
#include "start_line.h"

namespace tsn {
namespace {

constexpr uint8_t kMethodUnknown = 0xFF;

std::string_view FindHeader(const Message& m, std::string_view lowerName) {
  for (const Header& h : m.headers) {
    if (m.Text(h.name) == lowerName) return m.Text(h.value);
  }
  return {};
}

void AppendEndpointJson(std::string& out, const Endpoint& ep) {
  char ip[64];
  AppendIpText(ip, sizeof ip, ep);
  out += "{\"ip\":\"";
  out += ip;
  out += "\",\"port\":";
  AppendUint(out, ep.port);
  out += '}';
}

// llhttp may hand one start-line token over in several pieces (a token split across data events);
// the pieces land back to back in the arena, so the span only grows.
void AppendToSpan(Message& m, Span& span, const char* at, size_t len) {
  if (span.len == 0) span.off = static_cast<uint32_t>(m.arena.size());
  m.arena.append(at, len);
  span.len += static_cast<uint32_t>(len);
}

}  // namespace

const char* NonHttpReasonName(NonHttpReason reason) {
  switch (reason) {
    case NonHttpReason::kTls: return "tls";
    case NonHttpReason::kHttp2: return "http2";
    case NonHttpReason::kBinary: return "binary";
  }
  return "binary";
}

// Constant-initialised (no static constructor): the .wasm needs no _initialize call before use.
const llhttp_settings_t HttpAssembler::kSettings = {
    .on_message_begin = &HttpAssembler::OnMessageBegin,
    .on_url = &HttpAssembler::OnUrl,
    .on_status = &HttpAssembler::OnStatus,
    .on_method = nullptr,
    .on_version = nullptr,
    .on_header_field = &HttpAssembler::OnHeaderField,
    .on_header_value = &HttpAssembler::OnHeaderValue,
    .on_chunk_extension_name = nullptr,
    .on_chunk_extension_value = nullptr,
    .on_headers_complete = &HttpAssembler::OnHeadersComplete,
    .on_body = &HttpAssembler::OnBody,
    .on_message_complete = &HttpAssembler::OnMessageComplete,
    .on_url_complete = nullptr,
    .on_status_complete = &HttpAssembler::OnStatusComplete,
    .on_method_complete = nullptr,
    .on_version_complete = &HttpAssembler::OnVersionComplete,
    .on_header_field_complete = &HttpAssembler::OnHeaderFieldComplete,
    .on_header_value_complete = &HttpAssembler::OnHeaderValueComplete,
    .on_chunk_extension_name_complete = nullptr,
    .on_chunk_extension_value_complete = nullptr,
    .on_chunk_header = nullptr,
    .on_chunk_complete = nullptr,
    .on_reset = nullptr,
};

HttpAssembler::HttpAssembler(uint64_t connId, const Endpoint& client, const Endpoint& server,
                             CoreContext& ctx)
    : ctx_(ctx) {
  json_.id = "\"";
  AppendUint(json_.id, connId);
  json_.id += '"';
  AppendEndpointJson(json_.client, client);
  AppendEndpointJson(json_.server, server);
  for (int i = 0; i < 2; ++i) {
    Side& s = sides_[i];
    s.owner = this;
    s.isClient = i == 0;
    llhttp_init(&s.parser, s.isClient ? HTTP_REQUEST : HTTP_RESPONSE, &kSettings);
    s.parser.data = &s;
    s.msg.Reset(s.isClient);
  }
}

HttpAssembler::~HttpAssembler() {
  for (Side& s : sides_) ctx_.budget.Release(&s.msg.held);
}

// ---- input -----------------------------------------------------------------------------------

void HttpAssembler::OnData(Direction dir, const uint8_t* data, size_t len, int64_t ts) {
  Side& s = side(dir);
  s.curTs = ts;
  s.lastTs = ts;
  Dispatch(s, data, len);
}

void HttpAssembler::OnGap(Direction dir, uint64_t lostBytes, int64_t ts) {
  (void)ts;
  ++ctx_.stats.gaps;
  ctx_.stats.gapBytes += lostBytes;
  Side& s = side(dir);
  switch (s.mode) {
    case Mode::kIgnore:
      return;
    case Mode::kAwaitUpgrade:
      ctx_.stats.skippedBytes += stash_.size();
      std::string().swap(stash_);
      stashLost_ = true;
      return;
    case Mode::kParse:
      if (SkipLostBody(s, lostBytes)) return;
      CutOrAbandon(s);
      break;
    case Mode::kStart:
    case Mode::kResync:
      break;
  }
  llhttp_reset(&s.parser);
  s.interim = false;
  ++ctx_.stats.resyncs;
  EnterResync(s, /*atLineStart=*/true);
}

// A gap that falls inside a body whose end is known (Content-Length with more bytes still due than
// were lost, or a body that runs to the close) does not lose the framing: the message goes on, ends
// `incomplete`, and keeps no bytes after the hole (bodySize counts only bytes seen). Returns false
// when the gap may hide a message boundary, so the caller cuts and resynchronises.
bool HttpAssembler::SkipLostBody(Side& s, uint64_t lostBytes) {
  if (!s.inMessage || !s.inTrailers || lostBytes == 0) return false;
  llhttp_t& p = s.parser;
  const bool knownLength = (p.flags & F_CONTENT_LENGTH) && !(p.flags & F_CHUNKED) &&
                           !(p.flags & F_TRANSFER_ENCODING);
  if (knownLength && lostBytes <= p.content_length) {
    s.msg.incomplete = true;
    s.msg.gapInBody = true;
    // llhttp counts the body bytes still due in content_length while it reads an identity body.
    // The lost bytes are taken off that count directly, except the very last one, which is fed as a
    // placeholder (ignored by OnBody) so that llhttp itself completes the message.
    p.content_length -= lostBytes - 1;
    s.skipBody = 1;
    static const uint8_t kPlaceholder[1] = {0};
    Dispatch(s, kPlaceholder, 1);
    return true;
  }
  if (!knownLength && llhttp_message_needs_eof(&p) && !(p.flags & F_CHUNKED)) {
    s.msg.incomplete = true;
    s.msg.gapInBody = true;
    return true;
  }
  return false;
}

void HttpAssembler::OnClose(CloseReason reason, int64_t ts) {
  (void)ts;
  for (Side& s : sides_) {
    s.curTs = s.lastTs;
    if (s.mode == Mode::kParse && s.inMessage) {
      // Only a FIN proves that a close-delimited response body ended where the bytes end.
      if (!s.isClient && reason == CloseReason::kFin && s.startLineDone) llhttp_finish(&s.parser);
      CutOrAbandon(s);
    }
    if (!s.carry.empty()) {
      ctx_.stats.skippedBytes += s.carry.size();
      s.skipped += s.carry.size();
      std::string().swap(s.carry);
    }
  }
  if (!stash_.empty()) {
    ctx_.stats.skippedBytes += stash_.size();
    std::string().swap(stash_);
  }
  if (!notHttp_ && !upgraded_ && messages_ == 0) {
    const uint64_t skipped = sides_[0].skipped + sides_[1].skipped;
    // Neither TLS nor HTTP/2, and no message start ever found: reported as "binary".
    if (skipped > 0) MarkNotHttp(NonHttpReason::kBinary, skipped);
  }
}

void HttpAssembler::Dispatch(Side& s, const uint8_t* data, size_t len) {
  int stalled = 0;  // consecutive steps that consumed nothing
  while (len > 0) {
    if (stalled > 4) {
      // Defensive progress guarantee: no combination of modes may spin on the same byte.
      Skip(s, data, 1);
      if (s.mode == Mode::kParse) CutOrAbandon(s);
      llhttp_reset(&s.parser);
      EnterResync(s, /*atLineStart=*/false);
      ++data;
      --len;
      stalled = 0;
      continue;
    }
    size_t used = 0;
    switch (s.mode) {
      case Mode::kStart: used = Start(s, data, len); break;
      case Mode::kResync: used = Resync(s, data, len); break;
      case Mode::kParse: used = Parse(s, data, len); break;
      case Mode::kAwaitUpgrade: used = Stash(data, len); break;
      case Mode::kIgnore:
        if (notHttp_) ctx_.stats.nonHttpBytes[static_cast<int>(notHttpReason_)] += len;
        else ctx_.stats.upgradedBytes += len;
        used = len;
        break;
    }
    if (used > len) used = len;  // defensive: never walk past the input
    stalled = used == 0 ? stalled + 1 : 0;
    data += used;
    len -= used;
  }
}

// The first bytes of a direction: a TLS record header means the connection is not HTTP; anything
// else is looked at line by line.
size_t HttpAssembler::Start(Side& s, const uint8_t* data, size_t len) {
  const size_t have = s.carry.size();
  if (have + len < 2) {
    if (have == 0) s.carryTs = s.curTs;
    s.carry.append(reinterpret_cast<const char*>(data), len);
    return len;
  }
  const uint8_t b0 = have ? static_cast<uint8_t>(s.carry[0]) : data[0];
  const uint8_t b1 = have >= 2 ? static_cast<uint8_t>(s.carry[1]) : (have == 1 ? data[0] : data[1]);
  if (b0 >= 0x14 && b0 <= 0x17 && b1 == 0x03) {
    std::string().swap(s.carry);
    MarkNotHttp(NonHttpReason::kTls, have + len);
    return len;
  }
  s.mode = Mode::kResync;
  s.atLineStart = true;
  return 0;
}

size_t HttpAssembler::Resync(Side& s, const uint8_t* data, size_t len) {
  const size_t maxLine = ctx_.limits.maxStartLineBytes;
  size_t i = 0;
  while (i < len) {
    const auto* nl = static_cast<const uint8_t*>(std::memchr(data + i, '\n', len - i));
    const size_t end = nl ? static_cast<size_t>(nl - data) + 1 : len;
    if (!s.atLineStart) {
      Skip(s, data + i, end - i);
      i = end;
      if (nl) s.atLineStart = true;
      continue;
    }
    const uint8_t first = s.carry.empty() ? data[i] : static_cast<uint8_t>(s.carry[0]);
    if (!CouldStartLine(s.isClient, first) || s.carry.size() + (end - i) > maxLine) {
      Skip(s, reinterpret_cast<const uint8_t*>(s.carry.data()), s.carry.size());
      s.carry.clear();
      Skip(s, data + i, end - i);
      i = end;
      s.atLineStart = nl != nullptr;
      continue;
    }
    if (!nl) {  // a line that may still become a start line: keep it for the next bytes
      if (s.carry.empty()) s.carryTs = s.curTs;
      s.carry.append(reinterpret_cast<const char*>(data + i), len - i);
      return len;
    }
    const uint8_t* line = data + i;
    size_t lineLen = end - i;
    if (!s.carry.empty()) {
      s.carry.append(reinterpret_cast<const char*>(data + i), end - i);
      line = reinterpret_cast<const uint8_t*>(s.carry.data());
      lineLen = s.carry.size();
    }
    if (s.isClient && messages_ == 0 && IsHttp2Preface(line, lineLen)) {
      const uint64_t bytes = (s.carry.empty() ? 0 : s.carry.size() - (end - i)) + (len - i);
      std::string().swap(s.carry);
      MarkNotHttp(NonHttpReason::kHttp2, bytes);
      return len;
    }
    const bool start = s.isClient ? LooksLikeRequestLine(line, lineLen)
                                  : LooksLikeStatusLine(line, lineLen);
    if (start) {
      if (s.carry.empty()) {
        s.mode = Mode::kParse;
        return i;
      }
      FeedCarriedLine(s);
      return end;
    }
    Skip(s, line, lineLen);
    s.carry.clear();
    i = end;
  }
  return len;
}

void HttpAssembler::FeedCarriedLine(Side& s) {
  std::string line;
  line.swap(s.carry);
  const int64_t now = s.curTs;
  s.curTs = s.carryTs;
  s.mode = Mode::kParse;
  Dispatch(s, reinterpret_cast<const uint8_t*>(line.data()), line.size());
  s.curTs = now;
  if (s.carry.empty() && line.capacity() <= 1024) {
    line.clear();
    s.carry.swap(line);  // keep the storage for the next resynchronisation
  }
}

size_t HttpAssembler::Parse(Side& s, const uint8_t* data, size_t len) {
  const char* begin = reinterpret_cast<const char*>(data);
  const llhttp_errno_t err = llhttp_execute(&s.parser, begin, len);
  size_t used = len;
  if (err != HPE_OK) {
    const char* pos = llhttp_get_error_pos(&s.parser);
    used = (pos >= begin && pos <= begin + len) ? static_cast<size_t>(pos - begin) : len;
    if (err == HPE_PAUSED) {
      AfterMessage(s);
    } else if (err == HPE_CLOSED_CONNECTION && !s.inMessage) {
      // A message after one that announced the connection's end (HTTP/1.0 without keep-alive,
      // Connection: close). The peer sent it anyway, so it is read as the next message, from the
      // byte llhttp consumed before failing.
      ++ctx_.stats.messagesAfterClose;
      if (used > 0) --used;
      llhttp_reset(&s.parser);
    } else {
      // Resynchronise from the failing byte only when it begins a line after consumed bytes: with
      // nothing consumed, the same line would be offered to llhttp again.
      OnParseError(s, err, used > 0 && data[used - 1] == '\n');
    }
  }
  if (resumeClient_) {
    // The server answered an upgrade request without upgrading: the client keeps speaking HTTP.
    resumeClient_ = false;
    Side& c = sides_[0];
    if (c.mode == Mode::kAwaitUpgrade) {
      llhttp_reset(&c.parser);
      std::string held;
      held.swap(stash_);
      if (stashLost_) {
        stashLost_ = false;
        EnterResync(c, /*atLineStart=*/false);
      } else {
        c.mode = Mode::kParse;
      }
      Dispatch(c, reinterpret_cast<const uint8_t*>(held.data()), held.size());
    }
  }
  return used;
}

size_t HttpAssembler::Stash(const uint8_t* data, size_t len) {
  if (stashLost_ || stash_.size() + len > ctx_.limits.maxStashBytes) {
    if (!stashLost_) ++ctx_.stats.stashOverflows;
    stashLost_ = true;
    ctx_.stats.skippedBytes += stash_.size() + len;
    std::string().swap(stash_);
    return len;
  }
  stash_.append(reinterpret_cast<const char*>(data), len);
  return len;
}

// Called when llhttp paused after a complete message (every message pauses: see OnMessageComplete).
void HttpAssembler::AfterMessage(Side& s) {
  if (s.parser.upgrade) {
    if (!s.isClient) {  // 101 or a successful CONNECT: the connection leaves HTTP
      EnterTunnel();
      return;
    }
    awaitExchange_ = s.msg.exchange;
    if (awaitExchange_ <= lastAnswered_) {  // answered already, without upgrading
      llhttp_reset(&s.parser);
      return;
    }
    s.mode = Mode::kAwaitUpgrade;
    stash_.clear();
    stashLost_ = false;
    return;
  }
  if (s.interim) {
    // llhttp 8.1.0 does not restart cleanly after a 1xx (and treats an HTTP/1.0 one as closing).
    s.interim = false;
    llhttp_reset(&s.parser);
    return;
  }
  llhttp_resume(&s.parser);
}

void HttpAssembler::OnParseError(Side& s, llhttp_errno_t err, bool atLineStart) {
  ++ctx_.stats.parseErrors;
  if (s.inMessage && s.startLineDone) {
    Message& m = s.msg;
    m.errorText = llhttp_errno_name(err);
    const char* reason = llhttp_get_error_reason(&s.parser);
    if (reason != nullptr && *reason != '\0') {
      m.errorText += ": ";
      m.errorText += reason;
    }
    m.error = m.errorText.c_str();
    Cut(s);
  } else if (s.inMessage) {
    Abandon(s);
  }
  llhttp_reset(&s.parser);
  s.interim = false;
  ++ctx_.stats.resyncs;
  // Resynchronise from the failing byte when it begins a line (it may begin the next message).
  EnterResync(s, atLineStart);
}

void HttpAssembler::EnterResync(Side& s, bool atLineStart) {
  if (!s.carry.empty()) {
    ctx_.stats.skippedBytes += s.carry.size();
    s.skipped += s.carry.size();
    s.carry.clear();
  }
  s.mode = Mode::kResync;
  s.atLineStart = atLineStart;
}

void HttpAssembler::Skip(Side& s, const uint8_t* data, size_t len) {
  (void)data;
  s.skipped += len;
  ctx_.stats.skippedBytes += len;
}

void HttpAssembler::MarkNotHttp(NonHttpReason reason, uint64_t bytes) {
  if (!notHttp_) {
    notHttp_ = true;
    notHttpReason_ = reason;
    ++ctx_.stats.nonHttpConnections[static_cast<int>(reason)];
    for (Side& s : sides_) {
      CutOrAbandon(s);
      s.mode = Mode::kIgnore;
    }
    LogNotHttp(reason);
  }
  ctx_.stats.nonHttpBytes[static_cast<int>(notHttpReason_)] += bytes;
}

void HttpAssembler::LogNotHttp(NonHttpReason reason) {
  std::string& out = ctx_.out;
  out += "L{\"level\":\"debug\",\"message\":\"connection is not HTTP\",\"connectionId\":";
  out += json_.id;
  out += ",\"reason\":\"";
  out += NonHttpReasonName(reason);
  out += "\"}\n";
}

void HttpAssembler::EnterTunnel() {
  upgraded_ = true;
  CutOrAbandon(sides_[0]);
  ctx_.stats.upgradedBytes += stash_.size();
  std::string().swap(stash_);
  for (Side& s : sides_) {
    s.mode = Mode::kIgnore;
    std::string().swap(s.carry);
  }
}

// ---- messages --------------------------------------------------------------------------------

void HttpAssembler::Emit(Side& s) {
  Message& m = s.msg;
  if (!m.isRequest && !s.interim) {
    if (!pending_.empty() && pending_.front().exchange == m.exchange) pending_.pop_front();
    if (m.exchange > lastAnswered_) lastAnswered_ = m.exchange;
    if (sides_[0].mode == Mode::kAwaitUpgrade && m.exchange >= awaitExchange_ && !m.hasUpgrade) {
      resumeClient_ = true;
    }
  }
  m.bodyTruncated = m.bodySize > m.held.body.size();
  AppendMessageLine(ctx_.out, m, json_, ctx_.redaction);
  CoreStats& st = ctx_.stats;
  if (m.isRequest) ++st.requests; else ++st.responses;
  if (m.incomplete) ++st.incompleteMessages;
  if (m.bodyTruncated) ++st.truncatedBodies;
  ++messages_;
  ctx_.budget.Release(&m.held);
  m.ReleaseLargeBuffers();
  s.inMessage = false;
}

// A message that never got past its start line was not a message: it is dropped and gives back the
// exchange number it took.
void HttpAssembler::Abandon(Side& s) {
  const uint64_t exchange = s.msg.exchange;
  if (s.isClient && !pending_.empty() && pending_.back().exchange == exchange) pending_.pop_back();
  const bool tookNumber = s.isClient || pending_.empty() || pending_.front().exchange != exchange;
  if (tookNumber && exchange == nextExchange_ && nextExchange_ > 0) {
    --nextExchange_;
    if (!s.isClient && ctx_.stats.orphanResponses > 0) --ctx_.stats.orphanResponses;
  }
  ctx_.budget.Release(&s.msg.held);
  s.inMessage = false;
}

void HttpAssembler::CutOrAbandon(Side& s) {
  if (!s.inMessage) return;
  if (s.startLineDone) Cut(s); else Abandon(s);
}

void HttpAssembler::Cut(Side& s) {
  // A header line still arriving is not known yet: where it was cut depends on how the bytes
  // happened to be split, so it is left out rather than emitted half-read.
  if ((s.fieldOpen || s.valueOpen) && !s.msg.headers.empty() && !s.inTrailers) {
    s.msg.headers.pop_back();
  }
  s.fieldOpen = s.valueOpen = false;
  s.msg.incomplete = true;
  if (s.msg.endTs < 0) s.msg.endTs = s.lastTs;
  Emit(s);
}

int HttpAssembler::HeaderBytes(Side& s, size_t len) {
  s.headerBytes += static_cast<uint32_t>(len > 0xFFFFFFFFu ? 0xFFFFFFFFu : len);
  if (s.headerBytes > ctx_.limits.maxHeaderBytes || len > ctx_.limits.maxHeaderBytes) {
    llhttp_set_error_reason(&s.parser, "header section exceeds maxHeaderBytes");
    return HPE_USER;
  }
  return 0;
}

// The start line is parsed: from here on, a cut message is worth emitting.
void HttpAssembler::StartLineDone(Side& s) {
  if (s.startLineDone) return;
  s.startLineDone = true;
  Message& m = s.msg;
  m.httpMajor = s.parser.http_major;
  m.httpMinor = s.parser.http_minor;
  if (s.isClient) {
    m.method = llhttp_method_name(static_cast<llhttp_method_t>(s.parser.method));
  } else {
    m.statusCode = s.parser.status_code;
  }
}

int HttpAssembler::OnVersionComplete(llhttp_t* p) {
  Side& s = SideOf(p);
  if (s.isClient) s.owner->StartLineDone(s);  // a request line ends with its version
  return 0;
}

int HttpAssembler::OnStatusComplete(llhttp_t* p) {
  Side& s = SideOf(p);
  s.owner->StartLineDone(s);
  return 0;
}

int HttpAssembler::OnMessageBegin(llhttp_t* p) {
  Side& s = SideOf(p);
  HttpAssembler& a = *s.owner;
  a.ctx_.budget.Release(&s.msg.held);
  s.msg.Reset(s.isClient);
  s.inMessage = true;
  s.startLineDone = s.inTrailers = s.fieldOpen = s.valueOpen = s.interim = false;
  s.skipBody = 0;
  s.headerBytes = 0;
  Message& m = s.msg;
  m.startTs = s.curTs;
  if (s.isClient) {
    m.exchange = ++a.nextExchange_;
    if (a.pending_.size() >= a.ctx_.limits.maxPendingRequests) {
      a.pending_.pop_front();
      ++a.ctx_.stats.pendingOverflows;
    }
    Pending entry;
    entry.exchange = m.exchange;
    entry.startTs = s.curTs;
    a.pending_.push_back(std::move(entry));
  } else if (!a.pending_.empty()) {
    m.exchange = a.pending_.front().exchange;
    m.requestStartTs = a.pending_.front().startTs;
  } else {
    m.exchange = ++a.nextExchange_;
    ++a.ctx_.stats.orphanResponses;
  }
  return 0;
}

int HttpAssembler::OnUrl(llhttp_t* p, const char* at, size_t len) {
  Side& s = SideOf(p);
  if (s.owner->HeaderBytes(s, len)) return HPE_USER;
  AppendToSpan(s.msg, s.msg.path, at, len);
  return 0;
}

int HttpAssembler::OnStatus(llhttp_t* p, const char* at, size_t len) {
  Side& s = SideOf(p);
  if (s.owner->HeaderBytes(s, len)) return HPE_USER;
  AppendToSpan(s.msg, s.msg.statusMessage, at, len);
  return 0;
}

int HttpAssembler::OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  Side& s = SideOf(p);
  if (s.owner->HeaderBytes(s, len)) return HPE_USER;
  if (s.inTrailers) return 0;  // trailers are checked for size, not kept (see README)
  s.owner->StartLineDone(s);
  Message& m = s.msg;
  if (!s.fieldOpen) {
    if (m.headers.size() >= s.owner->ctx_.limits.maxHeaderCount) {
      llhttp_set_error_reason(p, "more header lines than maxHeaderCount");
      return HPE_USER;
    }
    const auto off = static_cast<uint32_t>(m.arena.size());
    m.headers.push_back(Header{Span{off, 0}, Span{off, 0}});
    s.fieldOpen = true;
  }
  m.arena.append(at, len);
  m.headers.back().name.len += static_cast<uint32_t>(len);
  return 0;
}

int HttpAssembler::OnHeaderFieldComplete(llhttp_t* p) {
  Side& s = SideOf(p);
  if (s.inTrailers || s.msg.headers.empty()) return 0;
  Message& m = s.msg;
  Header& h = m.headers.back();
  for (uint32_t k = 0; k < h.name.len; ++k) {
    char& c = m.arena[h.name.off + k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  h.value = Span{static_cast<uint32_t>(m.arena.size()), 0};
  s.fieldOpen = false;
  s.valueOpen = true;
  return 0;
}

int HttpAssembler::OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  Side& s = SideOf(p);
  if (s.owner->HeaderBytes(s, len)) return HPE_USER;
  if (s.inTrailers || s.msg.headers.empty()) return 0;
  Message& m = s.msg;
  m.arena.append(at, len);
  m.headers.back().value.len += static_cast<uint32_t>(len);
  return 0;
}

int HttpAssembler::OnHeaderValueComplete(llhttp_t* p) {
  Side& s = SideOf(p);
  if (s.inTrailers || s.msg.headers.empty()) return 0;
  s.valueOpen = false;
  Message& m = s.msg;
  Span& v = m.headers.back().value;
  // An obs-fold keeps its CR LF inside the value: RFC 9112 §5.2 says to read each fold as SP.
  for (uint32_t k = 0; k < v.len; ++k) {
    char& c = m.arena[v.off + k];
    if (c == '\r' || c == '\n') c = ' ';
  }
  while (v.len > 0) {
    const char c = m.arena[v.off + v.len - 1];
    if (c != ' ' && c != '\t') break;
    --v.len;
  }
  return 0;
}

int HttpAssembler::OnHeadersComplete(llhttp_t* p) {
  Side& s = SideOf(p);
  HttpAssembler& a = *s.owner;
  Message& m = s.msg;
  a.StartLineDone(s);
  s.inTrailers = true;
  if (!s.isClient) return a.ResponseHeadersComplete(s);
  if (!a.pending_.empty() && a.pending_.back().exchange == m.exchange) {
    Pending& entry = a.pending_.back();
    entry.method = p->method;
    const std::string_view upgrade = FindHeader(m, "upgrade");
    if (!upgrade.empty()) entry.upgrade.assign(upgrade.data(), upgrade.size());
  }
  return 0;
}

// Return values follow llhttp's on_headers_complete: 0 body as framed, 1 no body, 2 no body and
// the connection leaves HTTP.
int HttpAssembler::ResponseHeadersComplete(Side& s) {
  Message& m = s.msg;
  const int status = s.parser.status_code;
  m.statusCode = static_cast<uint16_t>(status);
  const Pending* request = nullptr;
  if (!pending_.empty() && pending_.front().exchange == m.exchange) request = &pending_.front();
  const uint8_t method = request ? request->method : kMethodUnknown;
  if (status == 101) {
    m.hasUpgrade = true;
    const std::string_view offered = FindHeader(m, "upgrade");
    if (!offered.empty()) m.upgrade.assign(offered.data(), offered.size());
    else if (request && !request->upgrade.empty()) m.upgrade = request->upgrade;
    else m.upgrade = "unknown";
    return 2;
  }
  if (status >= 100 && status < 200) {
    s.interim = true;
    return 1;
  }
  if (method == HTTP_HEAD) return 1;
  if (method == HTTP_CONNECT && status >= 200 && status < 300) {
    m.hasUpgrade = true;
    m.upgrade = "connect";
    return 2;
  }
  if (status == 204 || status == 304) return 1;
  return 0;
}

int HttpAssembler::OnBody(llhttp_t* p, const char* at, size_t len) {
  Side& s = SideOf(p);
  Message& m = s.msg;
  if (s.skipBody > 0) {  // placeholder bytes standing for bytes lost in a gap
    const size_t k = len < s.skipBody ? len : static_cast<size_t>(s.skipBody);
    s.skipBody -= k;
    at += k;
    len -= k;
    if (len == 0) return 0;
  }
  m.bodySize += len;
  m.hasBody = true;
  if (m.gapInBody) return 0;  // a body with a hole keeps only what came before the hole
  const uint32_t maxBody = s.owner->ctx_.limits.maxBodySize;
  const size_t held = m.held.body.size();
  if (held < maxBody && !m.held.cut) {
    const size_t room = maxBody - held;
    s.owner->ctx_.budget.Keep(&m.held, reinterpret_cast<const uint8_t*>(at), len < room ? len : room);
  }
  return 0;
}

int HttpAssembler::OnMessageComplete(llhttp_t* p) {
  Side& s = SideOf(p);
  s.msg.endTs = s.curTs;
  s.owner->Emit(s);
  // Pause after every message so that AfterMessage can restart the parser after a 1xx and stop it
  // at an upgrade before llhttp looks at the bytes that follow.
  return HPE_PAUSED;
}

}  // namespace tsn

#include "message_parser.h"

#include "header_text.h"

namespace http_core {
namespace {

// llhttp may hand one start-line token over in several pieces (a token split across data events);
// the pieces land back to back in the arena, so the span only grows.
void AppendToSpan(Message& m, Span& span, const char* at, size_t len) {
  if (span.len == 0) span.off = static_cast<uint32_t>(m.arena.size());
  m.arena.Append(at, len);
  span.len += static_cast<uint32_t>(len);
}

}  // namespace

// Constant-initialised (no static constructor): the .wasm needs no _initialize call before use.
const llhttp_settings_t MessageParser::kSettings = {
    .on_message_begin = &MessageParser::OnMessageBegin,
    .on_url = &MessageParser::OnUrl,
    .on_status = &MessageParser::OnStatus,
    .on_method = nullptr,
    .on_version = nullptr,
    .on_header_field = &MessageParser::OnHeaderField,
    .on_header_value = &MessageParser::OnHeaderValue,
    .on_chunk_extension_name = nullptr,
    .on_chunk_extension_value = nullptr,
    .on_headers_complete = &MessageParser::OnHeadersComplete,
    .on_body = &MessageParser::OnBody,
    .on_message_complete = &MessageParser::OnMessageComplete,
    .on_url_complete = nullptr,
    .on_status_complete = &MessageParser::OnStatusComplete,
    .on_method_complete = nullptr,
    .on_version_complete = &MessageParser::OnVersionComplete,
    .on_header_field_complete = &MessageParser::OnHeaderFieldComplete,
    .on_header_value_complete = &MessageParser::OnHeaderValueComplete,
    .on_chunk_extension_name_complete = nullptr,
    .on_chunk_extension_value_complete = nullptr,
    .on_chunk_header = &MessageParser::OnChunkHeader,
    .on_chunk_complete = &MessageParser::OnChunkComplete,
    .on_reset = nullptr,
};

void MessageParser::Init(bool is_request, const CoreLimits* limits, BodyBudget* budget,
                         MessagePool* pool, Events* events) {
  is_request_ = is_request;
  limits_ = limits;
  budget_ = budget;
  pool_ = pool;
  events_ = events;
}

MessageParser::~MessageParser() {
  if (work_ && work_->msg) budget_->Release(&work_->msg->held);
}

void MessageParser::TakeWork() {
  work_ = pool_->TakeWork();
  ParserWork& w = *work_;
  llhttp_init(&w.llhttp, is_request_ ? HTTP_REQUEST : HTTP_RESPONSE, &kSettings);
  w.llhttp.data = this;
  // What is read before a message begins (OnMessageBegin sets the rest).
  w.in_message = w.start_line_done = w.interim = false;
}

void MessageParser::GiveWork() {
  if (work_->msg) {
    budget_->Release(&work_->msg->held);
    pool_->Give(std::move(work_->msg));
  }
  pool_->GiveWork(std::move(work_));
}

MessageParser::Step MessageParser::Execute(const uint8_t* data, size_t len, int64_t ts) {
  if (!work_) TakeWork();
  ParserWork& w = *work_;
  w.cur_ts = ts;
  const char* begin = reinterpret_cast<const char*>(data);
  const llhttp_errno_t err = llhttp_execute(&w.llhttp, begin, len);
  // A body kept by pointing into data: the message is still open and data goes away after this.
  if (w.msg) budget_->Settle(&w.msg->held);
  size_t used = len;
  if (err != HPE_OK) {
    const char* pos = llhttp_get_error_pos(&w.llhttp);
    used = (pos >= begin && pos <= begin + len) ? static_cast<size_t>(pos - begin) : len;
  }
  return Step{err, used};
}

// A reset llhttp is in its initial state: with no message open, the work goes back to the pool and
// the next bytes take a fresh one.
void MessageParser::Reset() {
  if (!work_) return;
  if (!work_->in_message) {
    GiveWork();
    return;
  }
  llhttp_reset(&work_->llhttp);
  work_->interim = false;
}

// llhttp, resumed after a message that did not upgrade, runs llhttp__after_message_complete first:
// when the message keeps the connection (llhttp_should_keep_alive), it clears the message's flags and
// length and waits for the next message in its initial state, which a fresh llhttp has too. Otherwise
// it closes the direction (HPE_CLOSED_CONNECTION for any byte after), and the state is kept.
void MessageParser::Resume() {
  llhttp_t& p = work_->llhttp;
  if (!work_->in_message && !p.upgrade && llhttp_should_keep_alive(&p)) {
    GiveWork();
    return;
  }
  llhttp_resume(&p);
}

// A gap that falls inside a body whose end is known (Content-Length with more bytes still due than
// were lost, or a body that runs to the close) does not lose the framing: the message goes on, ends
// `incomplete`, and keeps no bytes after the hole (body_size counts only bytes seen).
MessageParser::GapFit MessageParser::FitGap(uint64_t lost_bytes) {
  if (!in_message() || !work_->in_trailers || lost_bytes == 0) return GapFit::kCut;
  ParserWork& w = *work_;
  llhttp_t& p = w.llhttp;
  const bool known_length = (p.flags & F_CONTENT_LENGTH) && !(p.flags & F_CHUNKED) &&
                           !(p.flags & F_TRANSFER_ENCODING);
  if (known_length && lost_bytes <= p.content_length) {
    w.msg->incomplete = true;
    w.msg->gap_in_body = true;
    // llhttp counts the body bytes still due in content_length while it reads an identity body.
    // The lost bytes are taken off that count directly, except the very last one, which is fed as a
    // placeholder (ignored by OnBody) so that llhttp itself completes the message.
    p.content_length -= lost_bytes - 1;
    w.skip_body = 1;
    return GapFit::kFeedPlaceholder;
  }
  if (!known_length && llhttp_message_needs_eof(&p) && !(p.flags & F_CHUNKED)) {
    w.msg->incomplete = true;
    w.msg->gap_in_body = true;
    return GapFit::kAbsorbed;
  }
  if (p.flags & F_CHUNKED) {
    w.msg->incomplete = true;
    w.msg->gap_in_body = true;
    // While a chunk's data is read, llhttp counts the bytes still due in content_length.
    const bool in_data = w.in_chunk && p.content_length > 0;
    w.gap_chunk_remaining = in_data && lost_bytes <= p.content_length ? p.content_length - lost_bytes : ~0ull;
    // The body still needs its chunk's data, CRLF and the last chunk "0" CRLF CRLF; an open body at
    // least one byte.
    w.gap_inside_body = lost_bytes <= (in_data ? p.content_length + 7 : 1);
    return GapFit::kChunked;
  }
  return GapFit::kCut;
}

const uint8_t* MessageParser::Placeholder() {
  static const uint8_t kPlaceholder[1] = {0};
  return kPlaceholder;
}

void MessageParser::PrepareCut(int64_t last_ts) {
  ParserWork& w = *work_;
  Message& m = *w.msg;
  // A header line still arriving is not known yet: where it was cut depends on how the bytes
  // happened to be split, so it is left out rather than emitted half-read.
  if ((w.field_open || w.value_open) && !m.headers.empty() && !w.in_trailers) m.headers.pop_back();
  w.field_open = w.value_open = false;
  m.incomplete = true;
  if (m.end_ts < 0) m.end_ts = last_ts;
}

void MessageParser::SetError(llhttp_errno_t err) {
  Message& m = *work_->msg;
  m.error_text = llhttp_errno_name(err);
  const char* reason = llhttp_get_error_reason(&work_->llhttp);
  if (reason != nullptr && *reason != '\0') {
    m.error_text += ": ";
    m.error_text += reason;
  }
  m.error = m.error_text.c_str();
}

void MessageParser::Finished() {
  if (!work_) return;
  work_->in_message = false;
  if (!work_->msg) return;
  budget_->Release(&work_->msg->held);
  pool_->Give(std::move(work_->msg));
}

int MessageParser::CountHeaderBytes(size_t len) {
  ParserWork& w = *work_;
  w.header_bytes += static_cast<uint32_t>(len > 0xFFFFFFFFu ? 0xFFFFFFFFu : len);
  if (w.header_bytes > limits_->max_header_bytes || len > limits_->max_header_bytes) {
    llhttp_set_error_reason(&w.llhttp, "header section exceeds maxHeaderBytes");
    return HPE_USER;
  }
  return 0;
}

// The start line is parsed: from here on, a cut message is worth emitting.
void MessageParser::StartLineDone() {
  ParserWork& w = *work_;
  if (w.start_line_done) return;
  w.start_line_done = true;
  Message& m = *w.msg;
  m.http_major = w.llhttp.http_major;
  m.http_minor = w.llhttp.http_minor;
  if (m.is_request) {
    m.method = llhttp_method_name(static_cast<llhttp_method_t>(w.llhttp.method));
  } else {
    m.status_code = w.llhttp.status_code;
  }
}

int MessageParser::OnVersionComplete(llhttp_t* p) {
  MessageParser& s = Of(p);
  if (s.work_->msg->is_request) s.StartLineDone();  // a request line ends with its version
  return 0;
}

int MessageParser::OnStatusComplete(llhttp_t* p) {
  Of(p).StartLineDone();
  return 0;
}

int MessageParser::OnMessageBegin(llhttp_t* p) {
  MessageParser& s = Of(p);
  ParserWork& w = *s.work_;
  if (w.msg) s.budget_->Release(&w.msg->held);
  else w.msg = s.pool_->Take();
  w.msg->Reset(s.is_request_);
  w.in_message = true;
  w.start_line_done = w.in_trailers = w.field_open = w.value_open = w.interim = false;
  w.in_chunk = false;
  w.skip_body = 0;
  w.header_bytes = 0;
  w.msg->start_ts = w.cur_ts;
  s.events_->OnMessageBegin(s);
  s.last_exchange_ = w.msg->exchange;
  return 0;
}

int MessageParser::OnUrl(llhttp_t* p, const char* at, size_t len) {
  MessageParser& s = Of(p);
  if (s.CountHeaderBytes(len)) return HPE_USER;
  AppendToSpan(*s.work_->msg, s.work_->msg->path, at, len);
  return 0;
}

int MessageParser::OnStatus(llhttp_t* p, const char* at, size_t len) {
  MessageParser& s = Of(p);
  if (s.CountHeaderBytes(len)) return HPE_USER;
  AppendToSpan(*s.work_->msg, s.work_->msg->status_message, at, len);
  return 0;
}

int MessageParser::OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  MessageParser& s = Of(p);
  if (s.CountHeaderBytes(len)) return HPE_USER;
  if (s.work_->in_trailers) return 0;  // trailers are checked for size, not kept (see README)
  s.StartLineDone();
  Message& m = *s.work_->msg;
  if (!s.work_->field_open) {
    if (m.headers.size() >= s.limits_->max_header_count) {
      llhttp_set_error_reason(p, "more header lines than maxHeaderCount");
      return HPE_USER;
    }
    const auto off = static_cast<uint32_t>(m.arena.size());
    m.headers.push_back(Header{Span{off, 0}, Span{off, 0}});
    s.work_->field_open = true;
  }
  m.arena.Append(at, len);
  m.headers.back().name.len += static_cast<uint32_t>(len);
  return 0;
}

int MessageParser::OnHeaderFieldComplete(llhttp_t* p) {
  MessageParser& s = Of(p);
  Message& m = *s.work_->msg;
  if (s.work_->in_trailers || m.headers.empty()) return 0;
  Header& h = m.headers.back();
  if (!LowerAsciiInArena(m.arena.data() + h.name.off, h.name.len)) m.names_need_escaping = true;
  h.value = Span{static_cast<uint32_t>(m.arena.size()), 0};
  s.work_->field_open = false;
  s.work_->value_open = true;
  return 0;
}

int MessageParser::OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  MessageParser& s = Of(p);
  if (s.CountHeaderBytes(len)) return HPE_USER;
  Message& m = *s.work_->msg;
  if (s.work_->in_trailers || m.headers.empty()) return 0;
  m.arena.Append(at, len);
  m.headers.back().value.len += static_cast<uint32_t>(len);
  return 0;
}

int MessageParser::OnHeaderValueComplete(llhttp_t* p) {
  MessageParser& s = Of(p);
  Message& m = *s.work_->msg;
  if (s.work_->in_trailers || m.headers.empty()) return 0;
  s.work_->value_open = false;
  Span& v = m.headers.back().value;
  v.len = static_cast<uint32_t>(NormalizeHeaderValueInArena(m.arena.data() + v.off, v.len));
  return 0;
}

int MessageParser::OnHeadersComplete(llhttp_t* p) {
  MessageParser& s = Of(p);
  s.StartLineDone();
  s.work_->in_trailers = true;
  return s.events_->OnHeadersComplete(s);
}

int MessageParser::OnBody(llhttp_t* p, const char* at, size_t len) {
  MessageParser& s = Of(p);
  Message& m = *s.work_->msg;
  if (s.work_->skip_body > 0) {  // placeholder bytes standing for bytes lost in a gap
    const size_t k = len < s.work_->skip_body ? len : static_cast<size_t>(s.work_->skip_body);
    s.work_->skip_body -= k;
    at += k;
    len -= k;
    if (len == 0) return 0;
  }
  m.body_size += len;
  m.has_body = true;
  if (m.gap_in_body) return 0;  // a body with a hole keeps only what came before the hole
  const uint32_t max_body = s.limits_->max_body_size;
  const size_t held = m.held.size();
  if (held < max_body && !m.held.cut) {
    const size_t room = max_body - held;
    s.budget_->Keep(&m.held, reinterpret_cast<const uint8_t*>(at), len < room ? len : room);
  }
  return 0;
}

int MessageParser::OnChunkHeader(llhttp_t* p) {
  Of(p).work_->in_chunk = true;
  return 0;
}

int MessageParser::OnChunkComplete(llhttp_t* p) {
  Of(p).work_->in_chunk = false;
  return 0;
}

int MessageParser::OnMessageComplete(llhttp_t* p) {
  MessageParser& s = Of(p);
  s.work_->msg->end_ts = s.work_->cur_ts;
  s.events_->OnMessageComplete(s);
  // Pause after every message so that the owner can restart the parser after a 1xx and stop it
  // at an upgrade before llhttp looks at the bytes that follow.
  return HPE_PAUSED;
}

}  // namespace http_core

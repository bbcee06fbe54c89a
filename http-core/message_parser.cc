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
  llhttp_init(&parser_, is_request ? HTTP_REQUEST : HTTP_RESPONSE, &kSettings);
  parser_.data = this;
}

MessageParser::~MessageParser() {
  if (msg_) budget_->Release(&msg_->held);
}

MessageParser::Step MessageParser::Execute(const uint8_t* data, size_t len, int64_t ts) {
  cur_ts_ = ts;
  const char* begin = reinterpret_cast<const char*>(data);
  const llhttp_errno_t err = llhttp_execute(&parser_, begin, len);
  // A body kept by pointing into data: the message is still open and data goes away after this.
  if (msg_) budget_->Settle(&msg_->held);
  size_t used = len;
  if (err != HPE_OK) {
    const char* pos = llhttp_get_error_pos(&parser_);
    used = (pos >= begin && pos <= begin + len) ? static_cast<size_t>(pos - begin) : len;
  }
  return Step{err, used};
}

void MessageParser::Reset() {
  llhttp_reset(&parser_);
  interim_ = false;
}

// A gap that falls inside a body whose end is known (Content-Length with more bytes still due than
// were lost, or a body that runs to the close) does not lose the framing: the message goes on, ends
// `incomplete`, and keeps no bytes after the hole (body_size counts only bytes seen).
MessageParser::GapFit MessageParser::FitGap(uint64_t lost_bytes) {
  if (!in_message_ || !in_trailers_ || lost_bytes == 0) return GapFit::kCut;
  llhttp_t& p = parser_;
  const bool known_length = (p.flags & F_CONTENT_LENGTH) && !(p.flags & F_CHUNKED) &&
                           !(p.flags & F_TRANSFER_ENCODING);
  if (known_length && lost_bytes <= p.content_length) {
    msg_->incomplete = true;
    msg_->gap_in_body = true;
    // llhttp counts the body bytes still due in content_length while it reads an identity body.
    // The lost bytes are taken off that count directly, except the very last one, which is fed as a
    // placeholder (ignored by OnBody) so that llhttp itself completes the message.
    p.content_length -= lost_bytes - 1;
    skip_body_ = 1;
    return GapFit::kFeedPlaceholder;
  }
  if (!known_length && llhttp_message_needs_eof(&p) && !(p.flags & F_CHUNKED)) {
    msg_->incomplete = true;
    msg_->gap_in_body = true;
    return GapFit::kAbsorbed;
  }
  if (p.flags & F_CHUNKED) {
    msg_->incomplete = true;
    msg_->gap_in_body = true;
    // While a chunk's data is read, llhttp counts the bytes still due in content_length.
    const bool in_data = in_chunk_ && p.content_length > 0;
    gap_chunk_remaining_ = in_data && lost_bytes <= p.content_length ? p.content_length - lost_bytes : ~0ull;
    // The body still needs its chunk's data, CRLF and the last chunk "0" CRLF CRLF; an open body at
    // least one byte.
    gap_inside_body_ = lost_bytes <= (in_data ? p.content_length + 7 : 1);
    return GapFit::kChunked;
  }
  return GapFit::kCut;
}

const uint8_t* MessageParser::Placeholder() {
  static const uint8_t kPlaceholder[1] = {0};
  return kPlaceholder;
}

void MessageParser::PrepareCut(int64_t last_ts) {
  // A header line still arriving is not known yet: where it was cut depends on how the bytes
  // happened to be split, so it is left out rather than emitted half-read.
  if ((field_open_ || value_open_) && !msg_->headers.empty() && !in_trailers_)
    msg_->headers.pop_back();
  field_open_ = value_open_ = false;
  msg_->incomplete = true;
  if (msg_->end_ts < 0) msg_->end_ts = last_ts;
}

void MessageParser::SetError(llhttp_errno_t err) {
  msg_->error_text = llhttp_errno_name(err);
  const char* reason = llhttp_get_error_reason(&parser_);
  if (reason != nullptr && *reason != '\0') {
    msg_->error_text += ": ";
    msg_->error_text += reason;
  }
  msg_->error = msg_->error_text.c_str();
}

void MessageParser::Finished() {
  in_message_ = false;
  if (!msg_) return;
  budget_->Release(&msg_->held);
  pool_->Give(std::move(msg_));
}

int MessageParser::CountHeaderBytes(size_t len) {
  header_bytes_ += static_cast<uint32_t>(len > 0xFFFFFFFFu ? 0xFFFFFFFFu : len);
  if (header_bytes_ > limits_->max_header_bytes || len > limits_->max_header_bytes) {
    llhttp_set_error_reason(&parser_, "header section exceeds maxHeaderBytes");
    return HPE_USER;
  }
  return 0;
}

// The start line is parsed: from here on, a cut message is worth emitting.
void MessageParser::StartLineDone() {
  if (start_line_done_) return;
  start_line_done_ = true;
  msg_->http_major = parser_.http_major;
  msg_->http_minor = parser_.http_minor;
  if (msg_->is_request) {
    msg_->method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  } else {
    msg_->status_code = parser_.status_code;
  }
}

int MessageParser::OnVersionComplete(llhttp_t* p) {
  MessageParser& s = Of(p);
  if (s.msg_->is_request) s.StartLineDone();  // a request line ends with its version
  return 0;
}

int MessageParser::OnStatusComplete(llhttp_t* p) {
  Of(p).StartLineDone();
  return 0;
}

int MessageParser::OnMessageBegin(llhttp_t* p) {
  MessageParser& s = Of(p);
  if (s.msg_) s.budget_->Release(&s.msg_->held);
  else s.msg_ = s.pool_->Take();
  s.msg_->Reset(s.is_request_);
  s.in_message_ = true;
  s.start_line_done_ = s.in_trailers_ = s.field_open_ = s.value_open_ = s.interim_ = false;
  s.in_chunk_ = false;
  s.skip_body_ = 0;
  s.header_bytes_ = 0;
  s.msg_->start_ts = s.cur_ts_;
  s.events_->OnMessageBegin(s);
  s.last_exchange_ = s.msg_->exchange;
  return 0;
}

int MessageParser::OnUrl(llhttp_t* p, const char* at, size_t len) {
  MessageParser& s = Of(p);
  if (s.CountHeaderBytes(len)) return HPE_USER;
  AppendToSpan(*s.msg_, s.msg_->path, at, len);
  return 0;
}

int MessageParser::OnStatus(llhttp_t* p, const char* at, size_t len) {
  MessageParser& s = Of(p);
  if (s.CountHeaderBytes(len)) return HPE_USER;
  AppendToSpan(*s.msg_, s.msg_->status_message, at, len);
  return 0;
}

int MessageParser::OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  MessageParser& s = Of(p);
  if (s.CountHeaderBytes(len)) return HPE_USER;
  if (s.in_trailers_) return 0;  // trailers are checked for size, not kept (see README)
  s.StartLineDone();
  Message& m = *s.msg_;
  if (!s.field_open_) {
    if (m.headers.size() >= s.limits_->max_header_count) {
      llhttp_set_error_reason(p, "more header lines than maxHeaderCount");
      return HPE_USER;
    }
    const auto off = static_cast<uint32_t>(m.arena.size());
    m.headers.push_back(Header{Span{off, 0}, Span{off, 0}});
    s.field_open_ = true;
  }
  m.arena.Append(at, len);
  m.headers.back().name.len += static_cast<uint32_t>(len);
  return 0;
}

int MessageParser::OnHeaderFieldComplete(llhttp_t* p) {
  MessageParser& s = Of(p);
  Message& m = *s.msg_;
  if (s.in_trailers_ || m.headers.empty()) return 0;
  Header& h = m.headers.back();
  if (!LowerAsciiInArena(m.arena.data() + h.name.off, h.name.len)) m.names_need_escaping = true;
  h.value = Span{static_cast<uint32_t>(m.arena.size()), 0};
  s.field_open_ = false;
  s.value_open_ = true;
  return 0;
}

int MessageParser::OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  MessageParser& s = Of(p);
  if (s.CountHeaderBytes(len)) return HPE_USER;
  Message& m = *s.msg_;
  if (s.in_trailers_ || m.headers.empty()) return 0;
  m.arena.Append(at, len);
  m.headers.back().value.len += static_cast<uint32_t>(len);
  return 0;
}

int MessageParser::OnHeaderValueComplete(llhttp_t* p) {
  MessageParser& s = Of(p);
  Message& m = *s.msg_;
  if (s.in_trailers_ || m.headers.empty()) return 0;
  s.value_open_ = false;
  Span& v = m.headers.back().value;
  v.len = static_cast<uint32_t>(NormalizeHeaderValueInArena(m.arena.data() + v.off, v.len));
  return 0;
}

int MessageParser::OnHeadersComplete(llhttp_t* p) {
  MessageParser& s = Of(p);
  s.StartLineDone();
  s.in_trailers_ = true;
  return s.events_->OnHeadersComplete(s);
}

int MessageParser::OnBody(llhttp_t* p, const char* at, size_t len) {
  MessageParser& s = Of(p);
  Message& m = *s.msg_;
  if (s.skip_body_ > 0) {  // placeholder bytes standing for bytes lost in a gap
    const size_t k = len < s.skip_body_ ? len : static_cast<size_t>(s.skip_body_);
    s.skip_body_ -= k;
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
  Of(p).in_chunk_ = true;
  return 0;
}

int MessageParser::OnChunkComplete(llhttp_t* p) {
  Of(p).in_chunk_ = false;
  return 0;
}

int MessageParser::OnMessageComplete(llhttp_t* p) {
  MessageParser& s = Of(p);
  s.msg_->end_ts = s.cur_ts_;
  s.events_->OnMessageComplete(s);
  // Pause after every message so that the owner can restart the parser after a 1xx and stop it
  // at an upgrade before llhttp looks at the bytes that follow.
  return HPE_PAUSED;
}

}  // namespace http_core

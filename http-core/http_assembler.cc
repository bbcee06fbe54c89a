#include "http_assembler.h"

#include <string>
#include <string_view>
#include <utility>

#include "json_writer.h"

namespace http_core {
namespace {

std::string_view FindHeader(const Message& m, std::string_view lower_name) {
  for (const Header& h : m.headers) {
    if (m.Text(h.name) == lower_name) return m.Text(h.value);
  }
  return {};
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

HttpAssembler::HttpAssembler(uint64_t conn_id, const Endpoint& client, const Endpoint& server,
                             CoreContext& ctx)
    : ctx_(ctx) {
  held_entry_.owner = this;
  json_.Set(conn_id, client, server);
  for (int i = 0; i < 2; ++i) {
    sides_[i].parser.Init(i == 0, &ctx_.limits, &ctx_.budget, &ctx_.messages, this);
  }
}

HttpAssembler::~HttpAssembler() = default;

// ---- input -----------------------------------------------------------------------------------

void HttpAssembler::OnData(Direction dir, const uint8_t* data, size_t len, int64_t ts) {
  Side& s = side(dir);
  s.cur_ts = ts;
  s.last_ts = ts;
  Dispatch(s, data, len);
}

void HttpAssembler::OnGap(Direction dir, uint64_t lost_bytes) {
  ++ctx_.stats.gaps;
  ctx_.stats.gap_bytes += lost_bytes;
  Side& s = side(dir);
  switch (s.mode) {
    case Mode::kIgnore:
      return;
    case Mode::kAwaitUpgrade:
      ctx_.stats.skipped_bytes += hold_->Lose();
      return;
    case Mode::kChunkResync:
      ChunkGap(s, lost_bytes);
      return;
    case Mode::kParse:
      switch (s.parser.FitGap(lost_bytes)) {
        case MessageParser::GapFit::kAbsorbed:
          return;
        case MessageParser::GapFit::kFeedPlaceholder:
          Dispatch(s, MessageParser::Placeholder(), 1);
          return;
        case MessageParser::GapFit::kChunked:
          BeginChunkRecovery(s, s.parser.gap_chunk_remaining());
          return;
        case MessageParser::GapFit::kCut:
          CutOrAbandon(s);
          break;
      }
      break;
    case Mode::kStart:
    case Mode::kResync:
      break;
  }
  // Messages may have been lost with the bytes: how many is unknown.
  LoseMessages(s);
  ++ctx_.stats.resyncs;
  EnterResync(s, /*at_line_start=*/true);
}

void HttpAssembler::OnClose(CloseReason reason) {
  for (Side& s : sides_) {
    s.cur_ts = s.last_ts;
    if (s.mode == Mode::kChunkResync) EndChunkRecovery(s, /*at_close=*/true);
    if (s.mode == Mode::kParse && s.parser.in_message()) {
      // Only a FIN proves that a close-delimited response body ended where the bytes end.
      if (!s.parser.is_request() && reason == CloseReason::kFin && s.parser.start_line_done()) {
        s.parser.Finish(s.cur_ts);
      }
      CutOrAbandon(s);
    }
    DropCarriedLine(s);
  }
  if (hold_) ctx_.stats.skipped_bytes += hold_->Drop();
  if (!not_http_ && !upgraded_ && messages_ == 0) {
    const uint64_t skipped = sides_[0].resync.skipped() + sides_[1].resync.skipped();
    // Neither TLS nor HTTP/2, and no message start ever found: reported as "binary".
    if (skipped > 0) MarkNotHttp(NonHttpReason::kBinary, skipped);
  }
}

// Each pass of the loop consumes input, or changes what the direction is doing so that the next
// pass does. The passes that consume nothing:
// - Start: moves to kResync.
// - Resync: a start line begins right here; moves to kParse with a reset parser (EnterResync resets
//   it, and a direction that starts has never parsed).
// - Parse, parser just reset: llhttp failing on the very first byte; OnParseError moves to kResync
//   not at a line start, and that Resync consumes at least the rest of the line. llhttp can only
//   pause after a message it began, and beginning one consumes a byte.
// - Parse, parser not just reset: it pauses or fails at its first byte, and each way out resets it
//   (1xx, declined upgrade, HPE_CLOSED_CONNECTION), leaves kParse, or resumes a parser that will
//   have to begin a new message (consuming) before it can pause again.
// So at most three passes in a row consume nothing.
void HttpAssembler::Dispatch(Side& s, const uint8_t* data, size_t len) {
  while (len > 0) {
    size_t used = 0;
    switch (s.mode) {
      case Mode::kStart: used = Start(s, data, len); break;
      case Mode::kResync: used = Resync(s, data, len); break;
      case Mode::kParse: used = Parse(s, data, len); break;
      case Mode::kAwaitUpgrade: used = HoldForUpgrade(data, len); break;
      case Mode::kChunkResync: used = RecoverChunked(s, data, len); break;
      case Mode::kIgnore:
        if (not_http_) ctx_.stats.non_http_bytes[static_cast<int>(not_http_reason_)] += len;
        else ctx_.stats.upgraded_bytes += len;
        used = len;
        break;
    }
    data += used;
    len -= used;
  }
}

// The first bytes of a direction: a TLS record header means the connection is not HTTP; anything
// else is looked at line by line.
size_t HttpAssembler::Start(Side& s, const uint8_t* data, size_t len) {
  const std::string& held = s.resync.carried();
  const size_t have = held.size();
  if (have + len < 2) {
    s.resync.Hold(data, len, s.cur_ts);
    return len;
  }
  const uint8_t b0 = have ? static_cast<uint8_t>(held[0]) : data[0];
  const uint8_t b1 = have >= 2 ? static_cast<uint8_t>(held[1]) : (have == 1 ? data[0] : data[1]);
  if (b0 >= 0x14 && b0 <= 0x17 && b1 == 0x03) {
    s.resync.Discard();
    MarkNotHttp(NonHttpReason::kTls, have + len);
    return len;
  }
  s.mode = Mode::kResync;  // the resync starts at a line start, with what was held
  return 0;
}

size_t HttpAssembler::Resync(Side& s, const uint8_t* data, size_t len) {
  const bool is_client = s.parser.is_request();
  const uint64_t skipped_before = s.resync.skipped();
  const LineResync::Result r = s.resync.Scan(is_client, is_client && messages_ == 0, data, len,
                                             s.cur_ts, ctx_.limits.max_start_line_bytes);
  ctx_.stats.skipped_bytes += s.resync.skipped() - skipped_before;
  switch (r.found) {
    case LineResync::Found::kNothing:
      return r.used;
    case LineResync::Found::kStartHere:
      if (s.resync.TakeSkippedVersion()) LoseMessages(s);
      s.mode = Mode::kParse;
      return r.used;
    case LineResync::Found::kStartCarried:
      if (s.resync.TakeSkippedVersion()) LoseMessages(s);
      FeedCarriedLine(s);
      return r.used;
    case LineResync::Found::kHttp2Preface: {
      const uint64_t bytes = s.resync.carried().size() + (len - r.used);
      s.resync.Discard();
      MarkNotHttp(NonHttpReason::kHttp2, bytes);
      return len;
    }
  }
  return len;
}

void HttpAssembler::FeedCarriedLine(Side& s) {
  const int64_t now = s.cur_ts;
  s.cur_ts = s.resync.carried_ts();
  std::string line = s.resync.TakeLine();
  s.mode = Mode::kParse;
  Dispatch(s, reinterpret_cast<const uint8_t*>(line.data()), line.size());
  s.cur_ts = now;
  s.resync.Recycle(std::move(line));
}

size_t HttpAssembler::Parse(Side& s, const uint8_t* data, size_t len) {
  const MessageParser::Step step = s.parser.Execute(data, len, s.cur_ts);
  size_t used = step.used;
  if (step.err == HPE_PAUSED) {
    AfterMessage(s);
  } else if (step.err == HPE_CLOSED_CONNECTION && !s.parser.in_message()) {
    // A message after one that announced the connection's end (HTTP/1.0 without keep-alive,
    // Connection: close). The peer sent it anyway, so it is read as the next message, from the
    // byte llhttp consumed before failing.
    ++ctx_.stats.messages_after_close;
    if (used > 0) --used;
    s.parser.Reset();
  } else if (step.err != HPE_OK) {
    // Resynchronise from the failing byte only when it begins a line after consumed bytes: with
    // nothing consumed, the same line would be offered to llhttp again.
    OnParseError(s, step.err, used > 0 && data[used - 1] == '\n');
  }
  if (resume_client_) ResumeClient();
  return used;
}

// Called when llhttp paused after a complete message (every message pauses: see MessageParser).
void HttpAssembler::AfterMessage(Side& s) {
  MessageParser& p = s.parser;
  if (p.upgrade_requested()) {
    if (!p.is_request()) {  // 101 or a successful CONNECT: the connection leaves HTTP
      EnterTunnel();
      return;
    }
    const uint64_t exchange = p.last_exchange();
    if (exchange <= queue_.last_answered()) {  // answered already, without upgrading
      p.Reset();
      return;
    }
    s.mode = Mode::kAwaitUpgrade;
    hold().Begin(exchange);
    return;
  }
  if (p.interim()) {
    // llhttp 8.1.0 does not restart cleanly after a 1xx (and treats an HTTP/1.0 one as closing).
    p.Reset();
    return;
  }
  p.Resume();
}

void HttpAssembler::OnParseError(Side& s, llhttp_errno_t err, bool at_line_start) {
  ++ctx_.stats.parse_errors;
  if (s.parser.in_message() && s.parser.start_line_done()) {
    s.parser.SetError(err);
    Cut(s);
  } else if (s.parser.in_message()) {
    Abandon(s);
  }
  // The peer framed these bytes some way llhttp did not: it may have sent messages in them.
  LoseMessages(s);
  ++ctx_.stats.resyncs;
  // Resynchronise from the failing byte when it begins a line (it may begin the next message).
  EnterResync(s, at_line_start);
}

// Messages of this direction may have gone unseen (bytes lost, a message start skipped or
// dropped, bytes that did not parse): their number is unknown, so pairing could shift. Lost
// answers leave every waiting request unanswerable; lost requests would have answers that later
// requests could take. Either way nothing pairs on the connection any more (ExchangeQueue).
void HttpAssembler::LoseMessages(const Side& s) {
  const bool off = s.parser.is_request() ? queue_.LoseRequests() : queue_.LoseAnswers();
  if (off) ++ctx_.stats.pairing_lost;
}

void HttpAssembler::EnterResync(Side& s, bool at_line_start) {
  s.parser.Reset();
  const uint64_t skipped_before = s.resync.skipped();
  s.resync.Begin(at_line_start);
  ctx_.stats.skipped_bytes += s.resync.skipped() - skipped_before;
  s.mode = Mode::kResync;
}

void HttpAssembler::DropCarriedLine(Side& s) {
  const uint64_t skipped_before = s.resync.skipped();
  s.resync.Drop();
  ctx_.stats.skipped_bytes += s.resync.skipped() - skipped_before;
}

void HttpAssembler::MarkNotHttp(NonHttpReason reason, uint64_t bytes) {
  if (!not_http_) {
    not_http_ = true;
    not_http_reason_ = reason;
    ++ctx_.stats.non_http_connections[static_cast<int>(reason)];
    for (Side& s : sides_) {
      CutOrAbandon(s);
      s.mode = Mode::kIgnore;
    }
    LogNotHttp(reason);
  }
  ctx_.stats.non_http_bytes[static_cast<int>(not_http_reason_)] += bytes;
}

void HttpAssembler::LogNotHttp(NonHttpReason reason) {
  std::string line = "{\"level\":\"debug\",\"message\":\"connection is not HTTP\",\"connectionId\":";
  line += json_.id();
  line += ",\"reason\":\"";
  line += NonHttpReasonName(reason);
  line += "\"}\n";
  ctx_.records.Append(line);
}

// ---- messages --------------------------------------------------------------------------------

void HttpAssembler::Emit(Side& s) {
  Message& m = s.parser.msg();
  if (!m.is_request && !s.parser.interim()) {
    queue_.Answer(m.exchange, m.unpaired);
    if (hold_ && !hold_->OfferOf(m.exchange).empty()) hold_->ForgetOffer();
    if (sides_[0].mode == Mode::kAwaitUpgrade && m.exchange >= hold_->exchange() && !m.has_upgrade) {
      resume_client_ = true;
    }
  }
  m.body_truncated = m.body_size > m.held.size();
  ++messages_;
  if (Filtered(m)) {
    if (!m.is_request && !s.parser.interim()) filtered_.Answered(m.exchange);
    ++ctx_.filter.counters().messages_filtered;
    s.parser.Finished();
    return;
  }
  AppendMessageLine(ctx_.out, ctx_.timestamps, m, json_, ctx_.redaction, ctx_.redactor.Apply(m), ctx_.placement);
  ++ctx_.out_messages;
  CoreStats& st = ctx_.stats;
  if (m.is_request) ++st.requests; else ++st.responses;
  if (m.incomplete) ++st.incomplete_messages;
  if (m.unpaired) ++(m.is_request ? st.unpaired_requests : st.unpaired_responses);
  if (m.body_truncated) ++st.truncated_bodies;
  s.parser.Finished();
}

void HttpAssembler::DecideRequest(const Message& m) {
  decided_request_ = m.exchange;
  if (!ctx_.filter.active()) return;
  if (ctx_.filter.Keeps(m.method, m.Text(m.path), FindHeader(m, "host"))) return;
  filtered_request_ = m.exchange;
  filtered_.Add(m.exchange, ctx_.limits.max_pending_requests);
  ++ctx_.filter.counters().exchanges_filtered;
}

bool HttpAssembler::Filtered(const Message& m) {
  if (!m.is_request) return filtered_.Contains(m.exchange);
  // A request cut before its headers were complete is judged on what was read of it.
  if (m.exchange != decided_request_) DecideRequest(m);
  return m.exchange == filtered_request_;
}

// A message that never got past its start line was not a message: it is dropped and gives back the
// exchange number it took.
void HttpAssembler::Abandon(Side& s) {
  const bool is_request = s.parser.is_request();
  const bool unpaired = s.parser.msg().unpaired;
  if (queue_.Abandon(is_request, s.parser.msg().exchange, unpaired) && !is_request && !unpaired &&
      ctx_.stats.orphan_responses > 0) {
    --ctx_.stats.orphan_responses;
  }
  s.parser.Finished();
}

void HttpAssembler::CutOrAbandon(Side& s) {
  if (!s.parser.in_message()) return;
  if (s.parser.start_line_done()) Cut(s); else Abandon(s);
}

void HttpAssembler::Cut(Side& s) {
  // A request cut before its headers were complete still says how its answer is framed: a HEAD's
  // answer read as if it had a body would take the next answers' bytes.
  if (s.parser.is_request()) queue_.DescribeRequest(s.parser.msg().exchange, s.parser.llhttp().method);
  s.parser.PrepareCut(s.last_ts);
  Emit(s);
}

void HttpAssembler::OnMessageBegin(MessageParser& p) {
  Message& m = p.msg();
  if (p.is_request()) {
    // A request sent before an answer that found no request waiting may be the one it answered,
    // delayed by a hole in the request stream: it would take the next request's answer.
    if (orphan_ts_ != kNoOrphan && (m.start_ts < 0 || m.start_ts <= orphan_ts_)) LoseMessages(sides_[0]);
    const ExchangeQueue::RequestStart r =
        queue_.BeginRequest(m.start_ts, ctx_.limits.max_pending_requests);
    m.exchange = r.exchange;
    m.unpaired = r.unpaired;
    if (r.overflow) ++ctx_.stats.pending_overflows;
    return;
  }
  const ExchangeQueue::ResponseStart r = queue_.BeginResponse();
  m.exchange = r.exchange;
  switch (r.pairing) {
    case ExchangeQueue::Pairing::kPaired: m.request_start_ts = r.request_start_ts; break;
    case ExchangeQueue::Pairing::kUnpaired: m.unpaired = true; break;  // framed without its method
    case ExchangeQueue::Pairing::kOrphan:
      ++ctx_.stats.orphan_responses;
      if (orphan_ts_ == kNoOrphan || m.start_ts < 0 || m.start_ts > orphan_ts_) {
        orphan_ts_ = m.start_ts < 0 ? kUnknownTime : m.start_ts;
      }
      break;
  }
}

int HttpAssembler::OnHeadersComplete(MessageParser& p) {
  if (!p.is_request()) return ResponseFraming(p);
  const Message& m = p.msg();
  // The Upgrade value is kept (by hold_) only for a request that asks to upgrade: any request may
  // carry the header, and a copy per pipelined request would be memory outside every bound.
  queue_.DescribeRequest(m.exchange, p.llhttp().method);
  if (p.upgrade_requested()) hold().Offer(m.exchange, FindHeader(m, "upgrade"));
  DecideRequest(m);
  return 0;
}

void HttpAssembler::OnMessageComplete(MessageParser& p) { Emit(SideOf(p)); }

// Response framing needs the request: returns llhttp's on_headers_complete value (0 body as
// framed, 1 no body, 2 no body and the connection leaves HTTP).
int HttpAssembler::ResponseFraming(MessageParser& p) {
  Message& m = p.msg();
  const int status = p.llhttp().status_code;
  m.status_code = static_cast<uint16_t>(status);
  const PendingRequest* request = queue_.RequestOf(m.exchange);
  const uint8_t method = request ? request->method : PendingRequest::kUnknownMethod;
  if (status == 101) {
    m.has_upgrade = true;
    const std::string_view offered = FindHeader(m, "upgrade");
    const std::string_view asked = hold_ ? hold_->OfferOf(m.exchange) : std::string_view();
    if (!offered.empty()) m.upgrade.assign(offered.data(), offered.size());
    else if (!asked.empty()) m.upgrade.assign(asked.data(), asked.size());
    else m.upgrade = "unknown";
    return 2;
  }
  if (status >= 100 && status < 200) {
    p.set_interim(true);
    return 1;
  }
  if (method == HTTP_HEAD) return 1;
  if (method == HTTP_CONNECT && status >= 200 && status < 300) {
    m.has_upgrade = true;
    m.upgrade = "connect";
    return 2;
  }
  if (status == 204 || status == 304) return 1;
  return 0;
}

}  // namespace http_core

#include "http_assembler.h"

#include <string>
#include <string_view>
#include <utility>

#include "json_writer.h"

namespace http_core {
namespace {

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

}  // namespace

const char* NonHttpReasonName(NonHttpReason reason) {
  switch (reason) {
    case NonHttpReason::kTls: return "tls";
    case NonHttpReason::kHttp2: return "http2";
    case NonHttpReason::kBinary: return "binary";
  }
  return "binary";
}

HttpAssembler::HttpAssembler(uint64_t connId, const Endpoint& client, const Endpoint& server,
                             CoreContext& ctx)
    : ctx_(ctx) {
  json_.id = "\"";
  AppendUint(json_.id, connId);
  json_.id += '"';
  AppendEndpointJson(json_.client, client);
  AppendEndpointJson(json_.server, server);
  for (int i = 0; i < 2; ++i) {
    sides_[i].parser.Init(i == 0, &ctx_.limits, &ctx_.budget, &ctx_.messages, this);
  }
}

HttpAssembler::~HttpAssembler() = default;

// ---- input -----------------------------------------------------------------------------------

void HttpAssembler::OnData(Direction dir, const uint8_t* data, size_t len, int64_t ts) {
  Side& s = side(dir);
  s.curTs = ts;
  s.lastTs = ts;
  Dispatch(s, data, len);
}

void HttpAssembler::OnGap(Direction dir, uint64_t lostBytes) {
  ++ctx_.stats.gaps;
  ctx_.stats.gapBytes += lostBytes;
  Side& s = side(dir);
  switch (s.mode) {
    case Mode::kIgnore:
      return;
    case Mode::kAwaitUpgrade:
      ctx_.stats.skippedBytes += hold_.Lose();
      return;
    case Mode::kParse:
      switch (s.parser.FitGap(lostBytes)) {
        case MessageParser::GapFit::kAbsorbed:
          return;
        case MessageParser::GapFit::kFeedPlaceholder:
          Dispatch(s, MessageParser::Placeholder(), 1);
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
  ++ctx_.stats.resyncs;
  EnterResync(s, /*atLineStart=*/true);
}

void HttpAssembler::OnClose(CloseReason reason) {
  for (Side& s : sides_) {
    s.curTs = s.lastTs;
    if (s.mode == Mode::kParse && s.parser.inMessage()) {
      // Only a FIN proves that a close-delimited response body ended where the bytes end.
      if (!s.parser.isRequest() && reason == CloseReason::kFin && s.parser.startLineDone()) {
        s.parser.Finish(s.curTs);
      }
      CutOrAbandon(s);
    }
    DropCarriedLine(s);
  }
  ctx_.stats.skippedBytes += hold_.Drop();
  if (!notHttp_ && !upgraded_ && messages_ == 0) {
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
      case Mode::kIgnore:
        if (notHttp_) ctx_.stats.nonHttpBytes[static_cast<int>(notHttpReason_)] += len;
        else ctx_.stats.upgradedBytes += len;
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
    s.resync.Hold(data, len, s.curTs);
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
  const bool isClient = s.parser.isRequest();
  const uint64_t skippedBefore = s.resync.skipped();
  const LineResync::Result r = s.resync.Scan(isClient, isClient && messages_ == 0, data, len,
                                             s.curTs, ctx_.limits.maxStartLineBytes);
  ctx_.stats.skippedBytes += s.resync.skipped() - skippedBefore;
  switch (r.found) {
    case LineResync::Found::kNothing:
      return r.used;
    case LineResync::Found::kStartHere:
      s.mode = Mode::kParse;
      return r.used;
    case LineResync::Found::kStartCarried:
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
  const int64_t now = s.curTs;
  s.curTs = s.resync.carriedTs();
  std::string line = s.resync.TakeLine();
  s.mode = Mode::kParse;
  Dispatch(s, reinterpret_cast<const uint8_t*>(line.data()), line.size());
  s.curTs = now;
  s.resync.Recycle(std::move(line));
}

size_t HttpAssembler::Parse(Side& s, const uint8_t* data, size_t len) {
  const MessageParser::Step step = s.parser.Execute(data, len, s.curTs);
  size_t used = step.used;
  if (step.err == HPE_PAUSED) {
    AfterMessage(s);
  } else if (step.err == HPE_CLOSED_CONNECTION && !s.parser.inMessage()) {
    // A message after one that announced the connection's end (HTTP/1.0 without keep-alive,
    // Connection: close). The peer sent it anyway, so it is read as the next message, from the
    // byte llhttp consumed before failing.
    ++ctx_.stats.messagesAfterClose;
    if (used > 0) --used;
    s.parser.Reset();
  } else if (step.err != HPE_OK) {
    // Resynchronise from the failing byte only when it begins a line after consumed bytes: with
    // nothing consumed, the same line would be offered to llhttp again.
    OnParseError(s, step.err, used > 0 && data[used - 1] == '\n');
  }
  if (resumeClient_) ResumeClient();
  return used;
}

// The server answered an upgrade request without upgrading: the client keeps speaking HTTP.
void HttpAssembler::ResumeClient() {
  resumeClient_ = false;
  Side& c = sides_[0];
  if (c.mode != Mode::kAwaitUpgrade) return;
  bool lost = false;
  const std::string held = hold_.Take(&lost);
  if (lost) {
    EnterResync(c, /*atLineStart=*/false);
  } else {
    c.parser.Reset();
    c.mode = Mode::kParse;
  }
  Dispatch(c, reinterpret_cast<const uint8_t*>(held.data()), held.size());
}

size_t HttpAssembler::HoldForUpgrade(const uint8_t* data, size_t len) {
  const UpgradeHold::HoldResult r = hold_.Hold(data, len, ctx_.limits.maxStashBytes);
  if (r.overflowed) ++ctx_.stats.stashOverflows;
  ctx_.stats.skippedBytes += r.dropped;
  return len;
}

// Called when llhttp paused after a complete message (every message pauses: see MessageParser).
void HttpAssembler::AfterMessage(Side& s) {
  MessageParser& p = s.parser;
  if (p.upgradeRequested()) {
    if (!p.isRequest()) {  // 101 or a successful CONNECT: the connection leaves HTTP
      EnterTunnel();
      return;
    }
    const uint64_t exchange = p.lastExchange();
    if (exchange <= queue_.lastAnswered()) {  // answered already, without upgrading
      p.Reset();
      return;
    }
    s.mode = Mode::kAwaitUpgrade;
    hold_.Begin(exchange);
    return;
  }
  if (p.interim()) {
    // llhttp 8.1.0 does not restart cleanly after a 1xx (and treats an HTTP/1.0 one as closing).
    p.Reset();
    return;
  }
  p.Resume();
}

void HttpAssembler::OnParseError(Side& s, llhttp_errno_t err, bool atLineStart) {
  ++ctx_.stats.parseErrors;
  if (s.parser.inMessage() && s.parser.startLineDone()) {
    s.parser.SetError(err);
    Cut(s);
  } else if (s.parser.inMessage()) {
    Abandon(s);
  }
  ++ctx_.stats.resyncs;
  // Resynchronise from the failing byte when it begins a line (it may begin the next message).
  EnterResync(s, atLineStart);
}

void HttpAssembler::EnterResync(Side& s, bool atLineStart) {
  s.parser.Reset();
  const uint64_t skippedBefore = s.resync.skipped();
  s.resync.Begin(atLineStart);
  ctx_.stats.skippedBytes += s.resync.skipped() - skippedBefore;
  s.mode = Mode::kResync;
}

void HttpAssembler::DropCarriedLine(Side& s) {
  const uint64_t skippedBefore = s.resync.skipped();
  s.resync.Drop();
  ctx_.stats.skippedBytes += s.resync.skipped() - skippedBefore;
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
  std::string line = "L{\"level\":\"debug\",\"message\":\"connection is not HTTP\",\"connectionId\":";
  line += json_.id;
  line += ",\"reason\":\"";
  line += NonHttpReasonName(reason);
  line += "\"}\n";
  ctx_.out.Append(line);
}

void HttpAssembler::EnterTunnel() {
  upgraded_ = true;
  CutOrAbandon(sides_[0]);
  ctx_.stats.upgradedBytes += hold_.Drop();
  for (Side& s : sides_) {
    s.mode = Mode::kIgnore;
    s.resync.Discard();
  }
}

// ---- messages --------------------------------------------------------------------------------

void HttpAssembler::Emit(Side& s) {
  Message& m = s.parser.msg();
  if (!m.isRequest && !s.parser.interim()) {
    queue_.Answer(m.exchange);
    if (sides_[0].mode == Mode::kAwaitUpgrade && m.exchange >= hold_.exchange() && !m.hasUpgrade) {
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
  s.parser.Finished();
}

// A message that never got past its start line was not a message: it is dropped and gives back the
// exchange number it took.
void HttpAssembler::Abandon(Side& s) {
  const bool isRequest = s.parser.isRequest();
  if (queue_.Abandon(isRequest, s.parser.msg().exchange) && !isRequest &&
      ctx_.stats.orphanResponses > 0) {
    --ctx_.stats.orphanResponses;
  }
  s.parser.Finished();
}

void HttpAssembler::CutOrAbandon(Side& s) {
  if (!s.parser.inMessage()) return;
  if (s.parser.startLineDone()) Cut(s); else Abandon(s);
}

void HttpAssembler::Cut(Side& s) {
  s.parser.PrepareCut(s.lastTs);
  Emit(s);
}

void HttpAssembler::OnMessageBegin(MessageParser& p) {
  Message& m = p.msg();
  if (p.isRequest()) {
    if (queue_.BeginRequest(m.startTs, ctx_.limits.maxPendingRequests, &m.exchange)) {
      ++ctx_.stats.pendingOverflows;
    }
    return;
  }
  const ExchangeQueue::ResponseStart r = queue_.BeginResponse();
  m.exchange = r.exchange;
  if (r.orphan) ++ctx_.stats.orphanResponses;
  else m.requestStartTs = r.requestStartTs;
}

int HttpAssembler::OnHeadersComplete(MessageParser& p) {
  if (!p.isRequest()) return ResponseFraming(p);
  const Message& m = p.msg();
  queue_.DescribeRequest(m.exchange, p.llhttp().method, FindHeader(m, "upgrade"));
  return 0;
}

void HttpAssembler::OnMessageComplete(MessageParser& p) { Emit(SideOf(p)); }

// Response framing needs the request: returns llhttp's on_headers_complete value (0 body as
// framed, 1 no body, 2 no body and the connection leaves HTTP).
int HttpAssembler::ResponseFraming(MessageParser& p) {
  Message& m = p.msg();
  const int status = p.llhttp().status_code;
  m.statusCode = static_cast<uint16_t>(status);
  const PendingRequest* request = queue_.RequestOf(m.exchange);
  const uint8_t method = request ? request->method : PendingRequest::kUnknownMethod;
  if (status == 101) {
    m.hasUpgrade = true;
    const std::string_view offered = FindHeader(m, "upgrade");
    if (!offered.empty()) m.upgrade.assign(offered.data(), offered.size());
    else if (request && !request->upgrade.empty()) m.upgrade = request->upgrade;
    else m.upgrade = "unknown";
    return 2;
  }
  if (status >= 100 && status < 200) {
    p.set_interim(true);
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

}  // namespace http_core

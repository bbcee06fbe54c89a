// HttpAssembler: one TCP connection, both directions, from ordered bytes to HTTP messages.
//
// Each direction has its own llhttp parser (requests client→server, responses server→client). A
// response is parsed knowing its request's method (HEAD and a successful CONNECT have no body), and
// 1xx responses are handled here rather than by llhttp 8.1.0 (they never have a body, the parser is
// restarted after each, and they share the exchange of the final response).
//
// Each direction starts, and restarts after a gap or a parse error, by looking for a plausible
// message start at a line boundary (a request line client→server, a status line server→client);
// bytes passed over are counted. TLS records and the HTTP/2 preface at the start of a direction mark
// the whole connection as not HTTP.
//
// Memory held per connection is bounded by CoreLimits; body bytes also count against the engine's
// BodyBudget. Messages are appended to CoreContext::out as `M` lines as they complete.
#ifndef TSN_WASM_CORE_HTTP_ASSEMBLER_H_
#define TSN_WASM_CORE_HTTP_ASSEMBLER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "core_context.h"
#include "llhttp.h"
#include "message.h"
#include "stream_event.h"

namespace tsn {

class HttpAssembler {
 public:
  HttpAssembler(uint64_t connId, const Endpoint& client, const Endpoint& server, CoreContext& ctx);
  ~HttpAssembler();
  HttpAssembler(const HttpAssembler&) = delete;
  HttpAssembler& operator=(const HttpAssembler&) = delete;

  // REQUIRES: len > 0.
  void OnData(Direction dir, const uint8_t* data, size_t len, int64_t ts);
  // A gap inside a body of known extent keeps the message going (it ends `incomplete`); any
  // other gap cuts the open message and the direction resynchronises.
  void OnGap(Direction dir, uint64_t lostBytes, int64_t ts);
  // Ends the connection: messages still open are emitted (complete for a close-delimited response
  // body at `fin`, otherwise `incomplete`). Nothing may be fed afterwards.
  void OnClose(CloseReason reason, int64_t ts);

 private:
  enum class Mode : uint8_t {
    kStart,          // nothing seen yet in this direction
    kResync,         // looking for a message start at a line boundary
    kParse,          // llhttp owns the bytes
    kAwaitUpgrade,   // client: an upgrade request awaits its response; bytes are held
    kIgnore,         // not HTTP, or upgraded to another protocol
  };

  struct Side {
    HttpAssembler* owner = nullptr;
    bool isClient = true;
    llhttp_t parser;
    Message msg;
    Mode mode = Mode::kStart;
    bool inMessage = false;       // between llhttp's message begin and complete
    bool startLineDone = false;   // the message got past its start line
    bool inTrailers = false;      // headers complete: further header fields are trailers
    bool fieldOpen = false;       // a header name is being received
    bool valueOpen = false;       // a header value is being received
    bool interim = false;         // the current response is 1xx (not 101)
    uint32_t headerBytes = 0;
    uint64_t skipBody = 0;        // placeholder body bytes OnBody must ignore
    int64_t curTs = -1;           // time of the bytes being parsed now
    int64_t lastTs = -1;          // time of the last data event of this direction
    // Resynchronisation: the current partial line, when it began at a line boundary.
    std::string carry;
    int64_t carryTs = -1;
    bool atLineStart = true;
    uint64_t skipped = 0;
  };

  struct Pending {
    uint64_t exchange = 0;
    int64_t startTs = -1;
    uint8_t method = 0xFF;  // llhttp method, 0xFF = not known yet
    std::string upgrade;    // the request's Upgrade header, for a 101 without one
  };

  static const llhttp_settings_t kSettings;
  static Side& SideOf(llhttp_t* p) { return *static_cast<Side*>(p->data); }
  static int OnMessageBegin(llhttp_t* p);
  static int OnVersionComplete(llhttp_t* p);
  static int OnStatusComplete(llhttp_t* p);
  static int OnUrl(llhttp_t* p, const char* at, size_t len);
  static int OnStatus(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderField(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderFieldComplete(llhttp_t* p);
  static int OnHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValueComplete(llhttp_t* p);
  static int OnHeadersComplete(llhttp_t* p);
  static int OnBody(llhttp_t* p, const char* at, size_t len);
  static int OnMessageComplete(llhttp_t* p);

  Side& side(Direction d) { return sides_[static_cast<int>(d)]; }
  void Dispatch(Side& s, const uint8_t* data, size_t len);
  size_t Start(Side& s, const uint8_t* data, size_t len);
  size_t Resync(Side& s, const uint8_t* data, size_t len);
  size_t Parse(Side& s, const uint8_t* data, size_t len);
  size_t Stash(const uint8_t* data, size_t len);
  void FeedCarriedLine(Side& s);
  void AfterMessage(Side& s);
  void OnParseError(Side& s, llhttp_errno_t err, bool atLineStart);
  int HeaderBytes(Side& s, size_t len);
  void StartLineDone(Side& s);
  int ResponseHeadersComplete(Side& s);
  void Emit(Side& s);
  void Cut(Side& s);
  void Abandon(Side& s);
  void CutOrAbandon(Side& s);
  void EnterResync(Side& s, bool atLineStart);
  bool SkipLostBody(Side& s, uint64_t lostBytes);
  void Skip(Side& s, const uint8_t* data, size_t len);
  void MarkNotHttp(NonHttpReason reason, uint64_t bytes);
  void EnterTunnel();
  void DecideUpgradeWait();
  void LogNotHttp(NonHttpReason reason);

  CoreContext& ctx_;
  ConnectionJson json_;
  Side sides_[2];
  std::deque<Pending> pending_;
  uint64_t nextExchange_ = 0;
  uint64_t lastAnswered_ = 0;    // exchange of the last final response
  uint64_t messages_ = 0;
  bool notHttp_ = false;
  NonHttpReason notHttpReason_ = NonHttpReason::kBinary;
  bool upgraded_ = false;
  // Client side while an upgrade request awaits its response.
  uint64_t awaitExchange_ = 0;
  std::string stash_;
  bool stashLost_ = false;
  bool resumeClient_ = false;    // the awaited upgrade was declined: resume parsing requests
};

}  // namespace tsn

#endif  // TSN_WASM_CORE_HTTP_ASSEMBLER_H_

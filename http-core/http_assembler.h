// HttpAssembler: one TCP connection, both directions, from ordered bytes to HTTP messages.
//
// It makes the connection-level decisions and delegates the rest:
// - each direction's llhttp parser and message: MessageParser (message_parser.h);
// - pairing and exchange numbers: ExchangeQueue (exchange_queue.h);
// - the search for a message start after a gap, an error or a mid-stream pickup: LineResync;
// - the client's bytes held while an upgrade request awaits its answer: UpgradeHold (the assembler's
//   side of it, and the tunnel, is in http_assembler_upgrade.cc);
// - where a chunked body's framing resumes after lost bytes: ChunkResync (the assembler's side of it
//   is in http_assembler_chunked.cc).
// What stays here: what each direction is doing (Mode), response framing that needs the request
// (HEAD, CONNECT, 1xx, 101), gaps, the end of the connection, not-HTTP detection (TLS records and
// the HTTP/2 preface mark the whole connection), emission and the counters.
//
// Memory held per connection is bounded by CoreLimits; body bytes also count against the engine's
// BodyBudget. Messages are appended to CoreContext::out as JSON lines as they complete.
#ifndef HTTP_CORE_HTTP_ASSEMBLER_H_
#define HTTP_CORE_HTTP_ASSEMBLER_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "chunk_resync.h"
#include "core_context.h"
#include "exchange_filter.h"
#include "exchange_queue.h"
#include "held_ledger.h"
#include "line_resync.h"
#include "message.h"
#include "message_parser.h"
#include "stream_event.h"
#include "upgrade_hold.h"

namespace http_core {

class HttpAssembler final : private MessageParser::Events {
 public:
  HttpAssembler(uint64_t conn_id, const Endpoint& client, const Endpoint& server, CoreContext& ctx);
  ~HttpAssembler();
  HttpAssembler(const HttpAssembler&) = delete;
  HttpAssembler& operator=(const HttpAssembler&) = delete;

  // REQUIRES: len > 0.
  void OnData(Direction dir, const uint8_t* data, size_t len, int64_t ts);
  // A gap inside a body of known extent keeps the message going (it ends `incomplete`); any
  // other gap cuts the open message and the direction resynchronises.
  void OnGap(Direction dir, uint64_t lost_bytes);
  // Ends the connection: messages still open are emitted (complete for a close-delimited response
  // body at `fin`, otherwise `incomplete`). Nothing may be fed afterwards.
  void OnClose(CloseReason reason);

  // Every byte this connection holds (HeldLedger): open messages (header arena and list, kept
  // body), carried partial lines, the client bytes and Upgrade value held for an upgrade.
  uint64_t HeldBytes() const;
  // The core is over its budget and this connection holds the most: everything it holds goes. An
  // open message is emitted with what is known, flagged (`incomplete`, `error`), and its direction
  // resynchronises past the rest of the line that was arriving; a carried line and held upgrade
  // bytes are dropped (skippedBytes). Afterwards HeldBytes() is 0. REQUIRES: between events.
  void CutHeld();
  HeldEntry& held_entry() { return held_entry_; }

 private:
  enum class Mode : uint8_t {
    kStart,          // nothing seen yet in this direction
    kResync,         // looking for a message start at a line boundary
    kParse,          // llhttp owns the bytes
    kAwaitUpgrade,   // client: an upgrade request awaits its response; bytes are held
    kChunkResync,    // a chunked body lost bytes: looking for where its framing resumes
    kIgnore,         // not HTTP, or upgraded to another protocol
  };

  // Only while a chunked body recovers from a gap.
  struct ChunkRecovery {
    ChunkResync chunks;
    uint64_t skipped = 0;  // counted as skipped only if a start line, not a chunk, ends the search
    bool others_waiting = false;  // answers to other requests were due when a hole came
    bool inside_body = false;     // every hole was shorter than what the body still needed
  };

  struct Side {
    MessageParser parser;
    LineResync resync;
    std::unique_ptr<ChunkRecovery> chunk;
    Mode mode = Mode::kStart;
    int64_t cur_ts = -1;   // time of the bytes being handled now
    int64_t last_ts = -1;  // time of the last data event of this direction
  };

  // MessageParser::Events
  void OnMessageBegin(MessageParser& parser) override;
  int OnHeadersComplete(MessageParser& parser) override;
  void OnMessageComplete(MessageParser& parser) override;

  Side& side(Direction d) { return sides_[static_cast<int>(d)]; }
  Side& SideOf(const MessageParser& p) { return sides_[p.is_request() ? 0 : 1]; }
  void Dispatch(Side& s, const uint8_t* data, size_t len);
  size_t Start(Side& s, const uint8_t* data, size_t len);
  size_t Resync(Side& s, const uint8_t* data, size_t len);
  size_t Parse(Side& s, const uint8_t* data, size_t len);
  size_t HoldForUpgrade(const uint8_t* data, size_t len);
  void ResumeClient();
  void FeedCarriedLine(Side& s);
  void AfterMessage(Side& s);
  void OnParseError(Side& s, llhttp_errno_t err, bool at_line_start);
  int ResponseFraming(MessageParser& p);
  void Emit(Side& s);
  void DecideRequest(const Message& m);
  bool Filtered(const Message& m);
  void Cut(Side& s);
  void Abandon(Side& s);
  void CutOrAbandon(Side& s);
  void EnterResync(Side& s, bool at_line_start);
  void LoseMessages(const Side& s);
  void DropCarriedLine(Side& s);
  void MarkNotHttp(NonHttpReason reason, uint64_t bytes);
  void EnterTunnel();
  void LogNotHttp(NonHttpReason reason);
  // http_assembler_chunked.cc
  bool OthersAwaitAnswers(const Side& s) const;
  void BeginChunkRecovery(Side& s, uint64_t known_remaining);
  void ChunkGap(Side& s, uint64_t lost_bytes);
  size_t RecoverChunked(Side& s, const uint8_t* data, size_t len);
  void EndChunkRecovery(Side& s, bool at_close);

  CoreContext& ctx_;
  HeldEntry held_entry_;
  ConnectionJson json_;
  Side sides_[2];
  ExchangeQueue queue_;
  // Only once a request on this connection asked to upgrade (most connections never do).
  UpgradeHold& hold() {
    if (!hold_) hold_ = std::make_unique<UpgradeHold>();
    return *hold_;
  }
  std::unique_ptr<UpgradeHold> hold_;
  FilteredExchanges filtered_;        // responses still due to filtered requests
  uint64_t decided_request_ = 0;      // the last request the filter was asked about
  uint64_t filtered_request_ = 0;     // the last request it refused
  uint64_t messages_ = 0;
  // Start of the latest answer that found no request waiting (an orphan); an unknown time is
  // taken as the latest possible.
  static constexpr int64_t kNoOrphan = INT64_MIN;
  static constexpr int64_t kUnknownTime = INT64_MAX;
  int64_t orphan_ts_ = kNoOrphan;
  NonHttpReason not_http_reason_ = NonHttpReason::kBinary;
  bool not_http_ = false;
  bool upgraded_ = false;
  bool resume_client_ = false;  // the awaited upgrade was declined: resume parsing requests
};

}  // namespace http_core

#endif  // HTTP_CORE_HTTP_ASSEMBLER_H_

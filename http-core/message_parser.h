// MessageParser: one direction's llhttp parser and the message it is assembling.
//
// Contract:
// - Owns the llhttp state, the Message (start line, headers, kept body) and the per-message bounds of
//   CoreLimits: header section ≤ max_header_bytes and ≤ max_header_count lines (llhttp stops with
//   HPE_USER and a reason), kept body ≤ max_body_size and within the shared BodyBudget.
// - Knows nothing of the connection: it never sees the other direction, the exchange numbers or the
//   output. At the three points where the connection decides something (a message begins, a
//   message's headers are complete, a message is complete) it asks its Events, which the owner
//   implements; that is its only way out.
// - Every complete message pauses llhttp (Execute returns HPE_PAUSED), so that the owner can decide
//   what the bytes after it are (an upgrade, a restart after 1xx) before llhttp reads them.
// - Header names are lower-cased when complete; header values have obs-fold line breaks turned
//   into spaces and trailing whitespace trimmed. Trailers are size-checked, not kept.
// - Holds llhttp's state and the open message (ParserWork, parser_work.h) only while it parses: from
//   the first byte of a message until the owner resumes it after a message that keeps the
//   connection, or resets it. In between it holds no more than its owner's pointers.
#ifndef HTTP_CORE_MESSAGE_PARSER_H_
#define HTTP_CORE_MESSAGE_PARSER_H_

#include <cstddef>
#include <cstdint>

#include "body_budget.h"
#include "core_limits.h"
#include "held_ledger.h"
#include "llhttp.h"
#include "message.h"
#include "message_pool.h"

namespace http_core {

class MessageParser {
 public:
  class Events {
   public:
    // The message has just been reset for its first byte: the owner numbers it.
    virtual void OnMessageBegin(MessageParser& parser) = 0;
    // Headers complete; the return value is llhttp's: 0 body as framed, 1 no body, 2 no body and
    // the connection leaves HTTP.
    virtual int OnHeadersComplete(MessageParser& parser) = 0;
    // The message is complete (end_ts set): the owner emits it and then calls Finished().
    virtual void OnMessageComplete(MessageParser& parser) = 0;

   protected:
    ~Events() = default;
  };

  enum class GapFit : uint8_t {
    kCut,               // the gap may hide a message boundary: the caller cuts and resyncs
    kAbsorbed,          // the message goes on (a body that runs to the close)
    kFeedPlaceholder,   // the caller must Execute(Placeholder()) so that llhttp ends the body
    kChunked,           // a chunked body: the caller looks for where its framing resumes
                        // (gap_chunk_remaining() says what the hole left of its chunk)
  };

  MessageParser() = default;
  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  // REQUIRES: called once, before anything else; the referents outlive the parser.
  void Init(bool is_request, const CoreLimits* limits, BodyBudget* budget, MessagePool* pool,
            Events* events);
  ~MessageParser();

  struct Step {
    llhttp_errno_t err;
    size_t used;  // bytes llhttp consumed (up to the failing or pausing byte)
  };
  // Parses bytes that arrived at time ts.
  Step Execute(const uint8_t* data, size_t len, int64_t ts);
  // Restarts llhttp for a new message (after an error, a gap, a 1xx or a declined upgrade).
  void Reset();
  // After a complete message that did not upgrade: llhttp goes on to the next message.
  void Resume();
  // End of input in this direction (last bytes at ts): completes a close-delimited body.
  void Finish(int64_t ts) {
    if (!work_) return;
    work_->cur_ts = ts;
    llhttp_finish(&work_->llhttp);
  }

  // A gap of lost_bytes in this direction, while a message may be open.
  GapFit FitGap(uint64_t lost_bytes);
  static const uint8_t* Placeholder();
  // After kChunked: data bytes of the chunk the hole fell in still due after it, or ~0 (unknown).
  uint64_t gap_chunk_remaining() const { return work_->gap_chunk_remaining; }
  // After kChunked: the hole was no longer than the least the body still needed, so it held no
  // byte of a message after it.
  bool gap_inside_body() const { return work_->gap_inside_body; }

  // Marks the open message cut (incomplete; a header line still arriving is left out).
  void PrepareCut(int64_t last_ts);
  // Records an llhttp error on the open message.
  void SetError(llhttp_errno_t err);
  // The message was emitted or dropped: its body bytes go back to the budget and the Message to
  // the pool (an idle direction holds none).
  void Finished();

  // REQUIRES: in_message() (between the message's begin and Finished()).
  Message& msg() { return *work_->msg; }
  const Message& msg() const { return *work_->msg; }
  // The exchange of the last message that began here (still known after Finished()).
  uint64_t last_exchange() const { return last_exchange_; }
  // REQUIRES: in_message(), or right after one (before Resume or Reset).
  const llhttp_t& llhttp() const { return work_->llhttp; }
  bool is_request() const { return is_request_; }
  bool in_message() const { return work_ && work_->in_message; }
  bool start_line_done() const { return work_ && work_->start_line_done; }
  bool interim() const { return work_ && work_->interim; }
  void set_interim(bool v) { work_->interim = v; }
  bool upgrade_requested() const { return work_->llhttp.upgrade != 0; }
  // What the open message holds (HeldLedger): its header arena and list (as allocated) and its
  // kept body (its bytes, as the BodyBudget counts them).
  uint64_t held_bytes() const {
    if (!work_ || !work_->msg) return 0;
    const Message& m = *work_->msg;
    return m.arena.heap_bytes() + m.headers.capacity() * sizeof(Header) + m.held.size();
  }

 private:
  static const llhttp_settings_t kSettings;
  static MessageParser& Of(llhttp_t* p) { return *static_cast<MessageParser*>(p->data); }
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
  static int OnChunkHeader(llhttp_t* p);
  static int OnChunkComplete(llhttp_t* p);

  int CountHeaderBytes(size_t len);
  void StartLineDone();
  // Takes a ParserWork with llhttp in its initial state / gives it (and any message) back.
  void TakeWork();
  void GiveWork();

  std::unique_ptr<ParserWork> work_;  // only while parsing (see the contract)
  const CoreLimits* limits_ = nullptr;
  BodyBudget* budget_ = nullptr;
  MessagePool* pool_ = nullptr;
  Events* events_ = nullptr;
  bool is_request_ = true;
  uint64_t last_exchange_ = 0;
};

}  // namespace http_core

#endif  // HTTP_CORE_MESSAGE_PARSER_H_

// Message: one HTTP request or response being assembled, and its JSON form (the message of
// docs/message.md, without `placement`, which the TS layer adds).
//
// Start-line and header bytes live in one arena string, headers are offsets into it: assembling a
// message allocates nothing once the arena and the header list have grown to their working size.
#ifndef HTTP_CORE_MESSAGE_H_
#define HTTP_CORE_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "body_budget.h"
#include "json_writer.h"
#include "output_buffer.h"
#include "stream_event.h"
#include "text_arena.h"

namespace http_core {

struct Span {
  uint32_t off = 0;
  uint32_t len = 0;
};

struct Header {
  Span name;   // lower-cased once complete
  Span value;  // trailing whitespace trimmed, obs-fold line breaks turned into spaces
};

// What the JSON writer needs to know about the connection, written once at `open`, in one string
// (one allocation per connection).
class ConnectionJson {
 public:
  void Set(uint64_t conn_id, const Endpoint& client, const Endpoint& server);
  std::string_view id() const { return std::string_view(text_).substr(0, id_len_); }  // "\"7\""
  std::string_view client() const { return std::string_view(text_).substr(id_len_, client_len_); }  // {"ip":"…","port":N}
  std::string_view server() const { return std::string_view(text_).substr(id_len_ + client_len_); }

 private:
  std::string text_;
  uint8_t id_len_ = 0;
  uint8_t client_len_ = 0;
};

struct Message {
  bool is_request = true;
  TextArena arena;  // path, status message, header names and values
  const char* method = "";  // llhttp's static method name
  Span path, status_message;
  std::vector<Header> headers;
  // Some header name holds a byte JSON must escape. llhttp passes only token characters in names,
  // so names are copied into the line as they are, unless this says otherwise.
  bool names_need_escaping = false;
  uint16_t status_code = 0;
  uint8_t http_major = 1, http_minor = 1;
  BodyHolder held;        // kept body prefix (≤ max_body_size), accounted in the BodyBudget
  uint64_t body_size = 0;  // every body byte seen after de-chunking
  bool body_truncated = false;
  bool has_body = false;
  uint64_t exchange = 0;
  int64_t start_ts = -1;
  int64_t end_ts = -1;
  int64_t request_start_ts = -1;  // responses: the paired request's first byte
  bool incomplete = false;
  bool unpaired = false;     // its request (or response) could not be matched with certainty
  bool gap_in_body = false;  // bytes of the body were lost: nothing after the hole is kept
  std::string upgrade;  // set on a 101 / successful CONNECT response
  bool has_upgrade = false;
  const char* error = nullptr;  // static text or error_text
  std::string error_text;

  // REQUIRES: s lies within the arena (spans are made from its size).
  std::string_view Text(Span s) const { return std::string_view(arena.data() + s.off, s.len); }

  // Resets every field for the next message. REQUIRES: held already released to the budget.
  void Reset(bool request);

  // After emission: gives back large header storage at once, so an idle connection holds little.
  // Scalar fields (exchange, flags) stay readable; text spans do not.
  void ReleaseLargeBuffers();
};

struct Redaction {
  // REQUIRES: lower-case names.
  void Add(std::string lower_name);
  bool Matches(std::string_view lower_name) const {
    // Most names have a length no listed name has.
    if (((lengths_ >> (lower_name.size() & 63)) & 1) == 0) return false;
    for (const std::string& n : names_) {
      if (n == lower_name) return true;
    }
    return false;
  }
  bool empty() const { return names_.empty(); }

 private:
  std::vector<std::string> names_;
  uint64_t lengths_ = 0;  // bit (length % 64) of every listed name
};

// Appends `{...}\n` for msg to out, with `body` as its body (msg.held's bytes, or a redacted copy:
// message_redaction.h) and `tail` (`,"placement":{…}` or empty) before the closing brace.
void AppendMessageLine(OutputBuffer& out, TimestampWriter& timestamps, const Message& msg,
                       const ConnectionJson& conn, const Redaction& redaction, std::string_view body,
                       std::string_view tail);

}  // namespace http_core

#endif  // HTTP_CORE_MESSAGE_H_

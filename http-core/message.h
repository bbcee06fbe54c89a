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
#include "output_buffer.h"

namespace http_core {

struct Span {
  uint32_t off = 0;
  uint32_t len = 0;
};

struct Header {
  Span name;   // lower-cased once complete
  Span value;  // trailing whitespace trimmed, obs-fold line breaks turned into spaces
};

// What the JSON writer needs to know about the connection (prepared once at `open`).
struct ConnectionJson {
  std::string id;      // decimal conn id, already a JSON string literal: "\"7\""
  std::string client;  // {"ip":"…","port":N}
  std::string server;
};

struct Message {
  bool is_request = true;
  std::string arena;  // method, path, status message, header names and values
  const char* method = "";  // llhttp's static method name
  Span path, status_message;
  std::vector<Header> headers;
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

  std::string_view Text(Span s) const { return std::string_view(arena).substr(s.off, s.len); }

  // Resets every field for the next message. REQUIRES: held.body already released to the budget.
  void Reset(bool request);

  // After emission: gives back large header storage at once, so an idle connection holds little.
  // Scalar fields (exchange, flags) stay readable; text spans do not.
  void ReleaseLargeBuffers();
};

struct Redaction {
  std::vector<std::string> names;  // lower-case
  bool Matches(std::string_view lower_name) const;
};

// Appends `{...}\n` for msg to out, with `body` as its body (msg.held.body, or a redacted copy:
// message_redaction.h) and `tail` (`,"placement":{…}` or empty) before the closing brace.
void AppendMessageLine(OutputBuffer& out, const Message& msg, const ConnectionJson& conn,
                       const Redaction& redaction, const std::string& body, std::string_view tail);

}  // namespace http_core

#endif  // HTTP_CORE_MESSAGE_H_

// ParserWork: what one direction's MessageParser needs only while it parses — llhttp's state, the
// open message and the per-message flags.
//
// A direction that has completed a message on a connection that stays open holds none: llhttp, once
// it has decided to keep the connection, starts the next message from the same state llhttp_init
// gives (every field it reads is set again by the next message), so a ParserWork taken fresh from the
// engine's MessagePool parses that message the same. At 10,000 kept-alive connections this is most
// of what each connection held (docs/performance.md, "The core at 10,000 connections").
#ifndef HTTP_CORE_PARSER_WORK_H_
#define HTTP_CORE_PARSER_WORK_H_

#include <cstdint>
#include <memory>

#include "llhttp.h"
#include "message.h"

namespace http_core {

struct ParserWork {
  llhttp_t llhttp;
  std::unique_ptr<Message> msg;  // only while a message is open
  int64_t cur_ts = -1;           // time of the bytes being parsed now
  uint64_t skip_body = 0;        // placeholder body bytes OnBody must ignore
  uint64_t gap_chunk_remaining = ~0ull;
  uint32_t header_bytes = 0;
  bool in_message = false;       // between llhttp's message begin and complete
  bool start_line_done = false;  // the message got past its start line
  bool in_trailers = false;      // headers complete: further header fields are trailers
  bool field_open = false;       // a header name is being received
  bool value_open = false;       // a header value is being received
  bool interim = false;          // the current response is 1xx (not 101)
  bool in_chunk = false;         // between a chunk's size line and the CRLF after its data
  bool gap_inside_body = false;
};

}  // namespace http_core

#endif  // HTTP_CORE_PARSER_WORK_H_

// Header text as the message keeps it: names lower-cased, values with obs-fold line breaks read as
// spaces (RFC 9112 §5.2) and trailing whitespace trimmed. In place, on the message's arena.
#ifndef HTTP_CORE_HEADER_TEXT_H_
#define HTTP_CORE_HEADER_TEXT_H_

#include <cstddef>

namespace http_core {

// Lower-cases the ASCII letters of p[0..len). Returns whether every byte is one a JSON string carries
// as it is (printable ASCII but '"' and '\\'), as a header name's token characters always are.
bool LowerAscii(char* p, size_t len);

// Turns CR and LF in p[0..len) into spaces and returns the length without trailing SP / HTAB.
size_t NormalizeHeaderValue(char* p, size_t len);

// The same two for text at the end of a TextArena, sixteen bytes at a time: they may read the 16
// bytes from any offset below len and (LowerAsciiInArena) write lower-cased bytes past len.
// REQUIRES: p + len is the arena's end (nothing after it is kept) and TextArena::kSlack >= 16.
bool LowerAsciiInArena(char* p, size_t len);
size_t NormalizeHeaderValueInArena(char* p, size_t len);

}  // namespace http_core

#endif  // HTTP_CORE_HEADER_TEXT_H_

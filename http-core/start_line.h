// Start-line recognition: where a direction may (re)start parsing after a gap, a parse error or a
// mid-stream pickup. Deliberately stricter than llhttp about shape (a whole line, an HTTP/1.x
// version) so that body bytes are rarely mistaken for a message start; llhttp still decides.
#ifndef HTTP_CORE_START_LINE_H_
#define HTTP_CORE_START_LINE_H_

#include <cstddef>
#include <cstdint>

namespace http_core {

// METHOD SP request-target SP HTTP/1.x [CR] LF.  REQUIRES: the line ends at p[len - 1].
bool LooksLikeRequestLine(const uint8_t* p, size_t len);

// HTTP/1.x SP 3DIGIT (SP reason)? [CR] LF.  REQUIRES: the line ends at p[len - 1].
bool LooksLikeStatusLine(const uint8_t* p, size_t len);

// Whether a line starting with `first` can still become a start line of that direction.
bool CouldStartLine(bool is_client, uint8_t first);

// The first line of the HTTP/2 connection preface ("PRI * HTTP/2.0" CR LF).
bool IsHttp2Preface(const uint8_t* p, size_t len);

}  // namespace http_core

#endif  // HTTP_CORE_START_LINE_H_

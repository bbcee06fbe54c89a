// JsonWriter: JSON text written in place. No allocation, no locale, no iostream (it also builds for
// WebAssembly without a libc stdio).
//
// The Write* functions write at dst and return the end of what they wrote; the caller has made room
// for the bound each one states. The Append* forms add to a std::string, for the few writers that
// are not on a per-message path (stats, logs, tests).
//
// Strings are always valid JSON and valid UTF-8: in text fields, bytes that are not UTF-8 become
// U+FFFD, so a header value with obs-text can never make the output unparseable.
#ifndef HTTP_CORE_JSON_WRITER_H_
#define HTTP_CORE_JSON_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace http_core {

// Most output bytes one input byte can become inside a JSON string ("\u001f").
constexpr size_t kMaxEscapedBytesPer = 6;

// ≤ 20 bytes.
char* WriteUint(char* dst, uint64_t value);

// "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (27 bytes) for micros since the Unix epoch.
// REQUIRES: micros >= 0 (callers omit the field for unknown times).
char* WriteIso8601Micros(char* dst, int64_t micros);

// WriteIso8601Micros with the text up to the second kept from the last call: messages come many to
// a second of capture time, and the date arithmetic (64-bit divisions) then runs once per second.
class TimestampWriter {
 public:
  // REQUIRES: micros >= 0. The same 27 bytes as WriteIso8601Micros.
  char* Write(char* dst, int64_t micros);

 private:
  int64_t second_ = -1;
  char text_[20] = {};  // "YYYY-MM-DDTHH:MM:SS." of second_
};

// micros / 1000 as a JSON number with up to three decimals ("12", "0.412"); ≤ 24 bytes.
// REQUIRES: micros >= 0
char* WriteMillisFromMicros(char* dst, int64_t micros);

// The escaped content of a JSON string literal, without quotes; ≤ kMaxEscapedBytesPer * size.
char* WriteJsonEscaped(char* dst, std::string_view text);

// A JSON string literal (with quotes); ≤ kMaxEscapedBytesPer * size + 2.
char* WriteJsonString(char* dst, std::string_view text);

// The escaped content of text, without quotes, if text is well-formed UTF-8 (no overlongs, no
// surrogates, max U+10FFFF); nullptr otherwise (bytes at dst are then unspecified). One pass.
// ≤ kMaxEscapedBytesPer * size.
char* WriteJsonEscapedIfUtf8(char* dst, std::string_view text);

// Standard base64 (RFC 4648, with padding); 4 * ceil(len / 3) bytes.
char* WriteBase64(char* dst, const uint8_t* bytes, size_t len);

// A string literal of the source, without its terminating NUL.
template <size_t N>
inline char* WriteLiteral(char* dst, const char (&text)[N]) {
  std::memcpy(dst, text, N - 1);
  return dst + N - 1;
}

inline char* WriteBytes(char* dst, std::string_view text) {
  std::memcpy(dst, text.data(), text.size());
  return dst + text.size();
}

void AppendUint(std::string& out, uint64_t value);
void AppendJsonString(std::string& out, std::string_view text);
// Appends a JSON string literal of text if it is well-formed UTF-8 and returns true; otherwise
// leaves out as it was and returns false.
bool AppendJsonStringIfUtf8(std::string& out, std::string_view text);
void AppendBase64(std::string& out, const uint8_t* bytes, size_t len);
void AppendIso8601Micros(std::string& out, int64_t micros);
void AppendMillisFromMicros(std::string& out, int64_t micros);

}  // namespace http_core

#endif  // HTTP_CORE_JSON_WRITER_H_

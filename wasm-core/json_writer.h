// JsonWriter: appends JSON text to a caller-owned std::string. No allocation of its own beyond the
// string's growth; no locale, no iostream (it also builds for WebAssembly without a libc stdio).
//
// Strings written through String() are always valid JSON and valid UTF-8: bytes that are not UTF-8
// become U+FFFD, so a header value with obs-text can never make the output unparseable.
#ifndef TSN_WASM_CORE_JSON_WRITER_H_
#define TSN_WASM_CORE_JSON_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tsn {

// True when bytes[0..len) is well-formed UTF-8 (no overlongs, no surrogates, max U+10FFFF).
bool IsValidUtf8(const uint8_t* bytes, size_t len);

// Appends the standard base64 (RFC 4648, with padding) of bytes to out.
void AppendBase64(std::string& out, const uint8_t* bytes, size_t len);

// Appends "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" for micros since the Unix epoch.
// REQUIRES: micros >= 0 (callers omit the field for unknown times).
void AppendIso8601Micros(std::string& out, int64_t micros);

// Appends a JSON string literal (with quotes). Invalid UTF-8 bytes become U+FFFD.
void AppendJsonString(std::string& out, std::string_view text);

// Appends the escaped content of a JSON string literal, without the quotes.
void AppendJsonEscaped(std::string& out, std::string_view text);

// Appends a JSON string literal of text that the caller has checked is valid UTF-8 (faster path).
// REQUIRES: IsValidUtf8(text)
void AppendJsonStringUtf8(std::string& out, std::string_view text);

void AppendUint(std::string& out, uint64_t value);

// Appends micros / 1000 as a JSON number with up to three decimals ("12", "0.412").
// REQUIRES: micros >= 0
void AppendMillisFromMicros(std::string& out, int64_t micros);

}  // namespace tsn

#endif  // TSN_WASM_CORE_JSON_WRITER_H_

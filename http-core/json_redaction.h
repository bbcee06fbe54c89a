// JSON redaction: the values of named keys, at any depth, become the string "[REDACTED]" (whatever
// their type: a string, a number, an object, an array), so a redacted body is still valid JSON.
//
// One forward pass over the bytes, no tree: what the scanner holds is a fixed bit stack of the open
// containers (kMaxJsonDepth deep, on the object itself) and a key buffer of NameList::kMaxNameBytes.
// Keys are compared after their escapes are decoded (`"pass\u0077ord"` is `password`),
// case-insensitively. A sequence of top-level values (JSON lines) is read value after value.
#ifndef HTTP_CORE_JSON_REDACTION_H_
#define HTTP_CORE_JSON_REDACTION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "query_redaction.h"

namespace http_core {

constexpr size_t kMaxJsonDepth = 512;

struct JsonRedaction {
  enum class End : uint8_t {
    kComplete,   // every value read to its end
    kCut,        // the text ended inside a value (a truncated body)
    kMalformed,  // a byte that JSON does not allow here; nothing after it was looked at
    kTooDeep,    // containers nested deeper than kMaxJsonDepth; nothing after it was looked at
  };
  End end = End::kComplete;
  size_t values = 0;  // values replaced
};

// Appends to out the JSON text with the values of listed keys replaced, when at least one was
// (out is untouched when `values` is 0). Values replaced before a malformed byte stay replaced; the
// rest of the text is copied as it was. A value cut by the end of the text is replaced to the end.
JsonRedaction RedactJson(std::string_view text, const NameList& keys, std::string& out);

}  // namespace http_core

#endif  // HTTP_CORE_JSON_REDACTION_H_

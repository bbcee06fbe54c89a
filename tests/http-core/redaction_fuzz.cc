// libFuzzer target for the scanners that read untrusted bodies and URLs, and for the pattern matcher:
// - RedactJson on arbitrary bytes: never out of bounds; when the input is one complete JSON text
//   (Boost.JSON accepts it), the redacted output is JSON too and no listed key keeps its value;
// - RedactUrlencoded / RedactUrlQuery on arbitrary bytes: values of listed names are gone;
// - PatternProgram::Load on arbitrary words, then Search on arbitrary text: a refused program is never
//   run, an accepted one never reads outside its instructions.
// Not part of the default build (it needs clang); build and run it as http-core/README.md ("Fuzzing").
#include <boost/json/src.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "json_redaction.h"
#include "pattern_program.h"
#include "query_redaction.h"

namespace {

// Every value under a listed key, at any depth, must be the string "[REDACTED]".
bool AllRedacted(const boost::json::value& v, const http_core::NameList& keys) {
  if (v.is_array()) {
    for (const auto& e : v.get_array()) if (!AllRedacted(e, keys)) return false;
  } else if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      std::string lower(kv.key());
      for (char& c : lower) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (keys.Contains(lower) && !(kv.value().is_string() && kv.value().get_string() == "[REDACTED]")) return false;
      if (!AllRedacted(kv.value(), keys)) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const http_core::NameList kKeys = [] {
    http_core::NameList n;
    n.Parse("password,token,a,secret");
    return n;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  std::string out;
  const http_core::JsonRedaction r = http_core::RedactJson(text, kKeys, out);
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 100000;
  const boost::json::value in = boost::json::parse(text, ec, {}, opts);
  if (!ec && r.end == http_core::JsonRedaction::End::kComplete) {
    boost::system::error_code out_ec;
    const boost::json::value redacted = boost::json::parse(r.values > 0 ? std::string_view(out) : text, out_ec, {}, opts);
    if (out_ec || !AllRedacted(redacted, kKeys)) __builtin_trap();
  }

  out.clear();
  http_core::RedactUrlencoded(text, kKeys, out);
  out.clear();
  http_core::RedactUrlQuery(text, kKeys, out);

  http_core::PatternProgram program;
  const size_t split = size > 0 ? data[0] * 4 : 0;
  if (split < size && program.Load(data + 1, split)) {
    program.Search(text.substr(1 + split < size ? 1 + split : size), (data[0] & 1) != 0);
  }
  return 0;
}

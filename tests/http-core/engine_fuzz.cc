// libFuzzer target: arbitrary bytes as (1) a raw stream-event batch and (2) the two directions of
// one connection, split and interleaved by the input itself. Not part of the default build (it needs
// clang); build and run it as http-core/README.md ("Fuzzing") shows.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "batch_writer.h"
#include "engine.h"

namespace {

// The message rules on (query and body redaction, a method filter), so that every fuzzed message also
// goes through them.
void Configure(http_core::Engine& engine) {
  using Option = http_core::Engine::Option;
  auto set = [&engine](Option o, std::string_view v) {
    engine.Configure(static_cast<uint32_t>(o), reinterpret_cast<const uint8_t*>(v.data()), v.size());
  };
  set(Option::kRedactQueryParams, "token,code");
  set(Option::kRedactBodyFields, "password,token");
  set(Option::kAllowMethods, "GET,POST,PUT,CONNECT");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http_core::EngineOptions options(/*max_body_size=*/64, /*max_buffered_bytes=*/256);
  options.redact_csv = "authorization";
  {
    http_core::Engine engine(options);
    Configure(engine);
    engine.Feed(data, size);
    engine.Finish();
  }
  // The first byte picks the close reason; each following segment is [len:1][dir bit + bytes].
  http_core::Engine engine(options);
  Configure(engine);
  http_core::BatchWriter w;
  const uint8_t ip[4] = {10, 0, 0, 1};
  w.Open(1, ip, 1234, ip, 80, 0);
  size_t pos = size > 0 ? 1 : 0;
  int64_t ts = 1;
  while (pos < size) {
    const uint8_t head = data[pos++];
    const size_t len = head & 0x3F;
    const auto dir = static_cast<stream_format::Direction>((head >> 6) & 1);
    if (head & 0x80 && len == 0) {
      w.Gap(1, dir, 1 + (pos < size ? data[pos] : 0), ts);
      continue;
    }
    const size_t n = len < size - pos ? len : size - pos;
    if (n > 0) w.Data(1, dir, std::string_view(reinterpret_cast<const char*>(data + pos), n), ts++);
    pos += n;
  }
  w.Close(1, static_cast<stream_format::CloseReason>(size > 0 ? data[0] % 5 : 0), ts);
  engine.Feed(w.bytes().data(), w.bytes().size());
  // Every kept byte is given back at close.
  if (engine.buffered_body_bytes() != 0) __builtin_trap();
  return 0;
}

// Fuzz target of the core. Each input is used three ways: (1) as a raw stream-event batch; (2) as
// the two directions of one connection, split and interleaved by the input itself; (3) as the
// choices that build a hostile connection (hostile_traffic.h: thousands of headers, endless header
// lines, names repeated in other cases, obs-fold, NULs, pipelined HEAD/GET mixes past the pending
// bound with truncated bodies, gaps). Invariants: no crash; every output line is an M/L record
// holding one JSON object; pairing is consistent (and exact when every answer is framed); every kept body byte is
// given back at close; the engine's heap stays bounded.
//
// Built two ways: with clang's libFuzzer (http-core/README.md, "Fuzzing"), and as the bounded
// ctest run `HttpCoreFuzz.HostileShapesBoundedRun` (engine_fuzz_main.cc: fixed pseudo-random inputs).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#if defined(HTTP_CORE_FUZZ_DRIVER)
#include <malloc.h>
#endif

#include "batch_writer.h"
#include "engine.h"
#include "hostile_traffic.h"

namespace {

void Fail(const std::string& why) {
  std::fprintf(stderr, "engine_fuzz: %s\n", why.c_str());
  std::abort();
}

// Heap the engine may hold for one hostile connection: two messages at their bounds (64 KiB header
// section, 64-byte bodies here), the pending queue, the output. Far below this whatever is sent.
constexpr size_t kMaxEngineHeap = 32u << 20;

size_t HeapInUse() {
#if defined(HTTP_CORE_FUZZ_DRIVER)
  return mallinfo2().uordblks;
#else
  return 0;
#endif
}

void RunHostile(const uint8_t* data, size_t size, const http_core::EngineOptions& options) {
  http_core::fuzz::Choices choices(data, size);
  const http_core::fuzz::HostileCase hostile = http_core::fuzz::MakeHostileCase(choices);
  const size_t heap_before = HeapInUse();
  http_core::Engine engine(options);
  if (engine.Feed(hostile.batch.data(), hostile.batch.size()) != 0) Fail("a well-formed batch was refused");
  // Only the output grows with the input; the rest is bounded.
  const size_t held = HeapInUse() - heap_before;
  if (held > engine.output().size() + engine.records().size() + kMaxEngineHeap) Fail("engine heap " + std::to_string(held) + " bytes");
  const std::string why =
      http_core::fuzz::CheckHostileOutput(std::string(engine.output().view()), hostile.answers_framed);
  if (!why.empty()) Fail(why);
  if (engine.buffered_body_bytes() != 0) Fail("body bytes still accounted after close");
}

}  // namespace

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
  {
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
    if (engine.buffered_body_bytes() != 0) Fail("body bytes still accounted after close");
  }
  // 256 bytes cut nearly every hostile header section: pairing must hold across the cuts.
  RunHostile(data, size, options);
  return 0;
}

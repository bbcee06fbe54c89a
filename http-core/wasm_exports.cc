// The C ABI of docs/internals.md §2, and nothing else. Pointers are offsets in the module's memory;
// no exception and no abort crosses this boundary (the core is built with -fno-exceptions and
// reports every failure as a return value).
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

#include "engine.h"

#define HTTP_CORE_EXPORT(name) extern "C" __attribute__((export_name(name)))

namespace {

uint8_t* g_input = nullptr;
uint32_t g_input_cap = 0;
const std::string* g_redacted = nullptr;  // the last http_core_redact_body result

http_core::Engine* AsEngine(uint32_t handle) { return reinterpret_cast<http_core::Engine*>(handle); }

}  // namespace

HTTP_CORE_EXPORT("http_core_input") uint32_t http_core_input(uint32_t size) {
  if (size <= g_input_cap && g_input != nullptr) return reinterpret_cast<uintptr_t>(g_input);
  uint32_t cap = g_input_cap ? g_input_cap : 65536;
  while (cap < size) cap = cap > 0x7FFFFFFFu ? size : cap * 2;
  void* grown = std::realloc(g_input, cap);
  if (grown == nullptr) return 0;
  g_input = static_cast<uint8_t*>(grown);
  g_input_cap = cap;
  return reinterpret_cast<uintptr_t>(g_input);
}

HTTP_CORE_EXPORT("http_core_engine_new")
uint32_t http_core_engine_new(uint32_t max_body_size, double max_buffered_bytes,
                              uint32_t redact_ptr, uint32_t redact_len) {
  if (!(max_buffered_bytes >= 0)) return 0;  // also rejects NaN
  const uint64_t budget = max_buffered_bytes >= 1.8e19 ? UINT64_MAX
                                                       : static_cast<uint64_t>(max_buffered_bytes);
  http_core::EngineOptions options(max_body_size, budget);
  if (redact_len > 0) {
    if (redact_ptr == 0) return 0;
    options.redact_csv = std::string_view(reinterpret_cast<const char*>(redact_ptr), redact_len);
  }
  auto* engine = new (std::nothrow) http_core::Engine(options);
  return reinterpret_cast<uintptr_t>(engine);
}

// Returns 0, or -1 when the value is refused (that option is then off) or the option is unknown.
HTTP_CORE_EXPORT("http_core_engine_configure")
int32_t http_core_engine_configure(uint32_t h, uint32_t option, uint32_t ptr, uint32_t len) {
  if (h == 0 || (ptr == 0 && len != 0)) return -1;
  return AsEngine(h)->Configure(option, reinterpret_cast<const uint8_t*>(ptr), len) ? 0 : -1;
}

HTTP_CORE_EXPORT("http_core_engine_feed") int32_t http_core_engine_feed(uint32_t h, uint32_t ptr, uint32_t len) {
  if (h == 0 || (ptr == 0 && len != 0)) return -2;
  return AsEngine(h)->Feed(reinterpret_cast<const uint8_t*>(ptr), len);
}

// ts is part of the ABI but not needed: messages still open end at their last data time.
HTTP_CORE_EXPORT("http_core_engine_finish") void http_core_engine_finish(uint32_t h, double /*ts*/) {
  if (h == 0) return;
  AsEngine(h)->Finish();
}

HTTP_CORE_EXPORT("http_core_output_ptr") uint32_t http_core_output_ptr(uint32_t h) {
  if (h == 0) return 0;
  return reinterpret_cast<uintptr_t>(AsEngine(h)->output().data());
}

HTTP_CORE_EXPORT("http_core_output_len") uint32_t http_core_output_len(uint32_t h) {
  if (h == 0) return 0;
  return static_cast<uint32_t>(AsEngine(h)->output().size());
}

HTTP_CORE_EXPORT("http_core_output_count") uint32_t http_core_output_count(uint32_t h) {
  if (h == 0) return 0;
  return AsEngine(h)->output_messages();
}

HTTP_CORE_EXPORT("http_core_records_ptr") uint32_t http_core_records_ptr(uint32_t h) {
  if (h == 0) return 0;
  return reinterpret_cast<uintptr_t>(AsEngine(h)->records().data());
}

HTTP_CORE_EXPORT("http_core_records_len") uint32_t http_core_records_len(uint32_t h) {
  if (h == 0) return 0;
  return static_cast<uint32_t>(AsEngine(h)->records().size());
}

HTTP_CORE_EXPORT("http_core_output_clear") void http_core_output_clear(uint32_t h) {
  if (h == 0) return;
  AsEngine(h)->ClearOutput();
}

// A body the caller decoded (its Content-Encoding removed) through the engine's body-field
// redaction. Returns the redacted length, its bytes at http_core_redacted_ptr until the next call
// into the engine; 0 when nothing was replaced (the body is not JSON/form, or holds no listed field);
// -1 on bad arguments. `cut` != 0: the body was cut short.
HTTP_CORE_EXPORT("http_core_redact_body")
int32_t http_core_redact_body(uint32_t h, uint32_t type_ptr, uint32_t type_len, uint32_t body_ptr,
                              uint32_t body_len, uint32_t cut) {
  if (h == 0 || (type_ptr == 0 && type_len != 0) || (body_ptr == 0 && body_len != 0)) return -1;
  const std::string* out = AsEngine(h)->RedactDecodedBody(
      std::string_view(reinterpret_cast<const char*>(type_ptr), type_len),
      std::string_view(reinterpret_cast<const char*>(body_ptr), body_len), cut != 0);
  if (out == nullptr) return 0;
  g_redacted = out;
  return out->size() > 0x7FFFFFFFu ? -1 : static_cast<int32_t>(out->size());
}

HTTP_CORE_EXPORT("http_core_redacted_ptr") uint32_t http_core_redacted_ptr() {
  return g_redacted == nullptr ? 0 : reinterpret_cast<uintptr_t>(g_redacted->data());
}

HTTP_CORE_EXPORT("http_core_engine_stats") uint32_t http_core_engine_stats(uint32_t h) {
  if (h == 0) return 0;
  return reinterpret_cast<uintptr_t>(AsEngine(h)->StatsJson().c_str());
}

// The capture holds other_bytes of the one budget: the core's share is the rest (docs/internals.md
// §6). Returns what the core holds after enforcing it; -1 for a bad handle or figure.
HTTP_CORE_EXPORT("http_core_engine_balance") double http_core_engine_balance(uint32_t h, double other_bytes) {
  if (h == 0 || !(other_bytes >= 0)) return -1;
  const uint64_t other = other_bytes >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(other_bytes);
  return static_cast<double>(AsEngine(h)->Balance(other));
}

HTTP_CORE_EXPORT("http_core_engine_free") void http_core_engine_free(uint32_t h) {
  g_redacted = nullptr;  // it may point into this engine
  delete AsEngine(h);
}

// The module must run with no imports at all (any JS runtime, nothing to stub). Two libc hooks
// would otherwise be imported: the memory-growth notification (JS glue only; memory views are
// re-read by the loader after every call anyway) and WASI proc_exit, reached only through abort()
// (allocation failure). Exiting becomes a trap, which the loader sees as an exception from the call
// that hit it.
extern "C" void emscripten_notify_memory_growth(size_t) {}
extern "C" void __wasi_proc_exit(uint32_t) { __builtin_trap(); }

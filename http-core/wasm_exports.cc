// The C ABI of docs/internals.md §2, and nothing else. Pointers are offsets in the module's memory;
// no exception and no abort crosses this boundary (the core is built with -fno-exceptions and
// reports every failure as a return value).
#include <cstdint>
#include <cstdlib>
#include <new>

#include "engine.h"

#define HTTP_CORE_EXPORT(name) extern "C" __attribute__((export_name(name)))

namespace {

uint8_t* gInput = nullptr;
uint32_t gInputCap = 0;

http_core::Engine* AsEngine(uint32_t handle) { return reinterpret_cast<http_core::Engine*>(handle); }

}  // namespace

HTTP_CORE_EXPORT("http_core_input") uint32_t http_core_input(uint32_t size) {
  if (size <= gInputCap && gInput != nullptr) return reinterpret_cast<uintptr_t>(gInput);
  uint32_t cap = gInputCap ? gInputCap : 65536;
  while (cap < size) cap = cap > 0x7FFFFFFFu ? size : cap * 2;
  void* grown = std::realloc(gInput, cap);
  if (grown == nullptr) return 0;
  gInput = static_cast<uint8_t*>(grown);
  gInputCap = cap;
  return reinterpret_cast<uintptr_t>(gInput);
}

HTTP_CORE_EXPORT("http_core_engine_new")
uint32_t http_core_engine_new(uint32_t maxBodySize, double maxBufferedBytes, uint32_t redactPtr,
                        uint32_t redactLen) {
  if (!(maxBufferedBytes >= 0)) return 0;  // also rejects NaN
  http_core::EngineOptions options(
      maxBodySize, maxBufferedBytes >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(maxBufferedBytes));
  if (redactLen > 0) {
    if (redactPtr == 0) return 0;
    options.redactCsv = std::string_view(reinterpret_cast<const char*>(redactPtr), redactLen);
  }
  auto* engine = new (std::nothrow) http_core::Engine(options);
  return reinterpret_cast<uintptr_t>(engine);
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

HTTP_CORE_EXPORT("http_core_output_clear") void http_core_output_clear(uint32_t h) {
  if (h == 0) return;
  AsEngine(h)->output().Clear();
}

HTTP_CORE_EXPORT("http_core_engine_stats") uint32_t http_core_engine_stats(uint32_t h) {
  if (h == 0) return 0;
  return reinterpret_cast<uintptr_t>(AsEngine(h)->StatsJson().c_str());
}

HTTP_CORE_EXPORT("http_core_engine_free") void http_core_engine_free(uint32_t h) {
  delete AsEngine(h);
}

// The module must run with no imports at all (any JS runtime, nothing to stub). Two libc hooks
// would otherwise be imported: the memory-growth notification (JS glue only; memory views are
// re-read by the loader after every call anyway) and WASI proc_exit, reached only through abort()
// (allocation failure). Exiting becomes a trap, which the loader sees as an exception from the call
// that hit it.
extern "C" void emscripten_notify_memory_growth(size_t) {}
extern "C" void __wasi_proc_exit(uint32_t) { __builtin_trap(); }

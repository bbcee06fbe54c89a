// The C ABI of docs/internals.md §2, and nothing else. Pointers are offsets in the module's memory;
// no exception and no abort crosses this boundary (the core is built with -fno-exceptions and
// reports every failure as a return value).
#include <cstdint>
#include <cstdlib>
#include <new>

#include "engine.h"

#define TSN_EXPORT(name) extern "C" __attribute__((export_name(name)))

namespace {

uint8_t* gInput = nullptr;
uint32_t gInputCap = 0;

tsn::Engine* AsEngine(uint32_t handle) { return reinterpret_cast<tsn::Engine*>(handle); }

}  // namespace

TSN_EXPORT("tsn_input") uint32_t tsn_input(uint32_t size) {
  if (size <= gInputCap && gInput != nullptr) return reinterpret_cast<uintptr_t>(gInput);
  uint32_t cap = gInputCap ? gInputCap : 65536;
  while (cap < size) cap = cap > 0x7FFFFFFFu ? size : cap * 2;
  void* grown = std::realloc(gInput, cap);
  if (grown == nullptr) return 0;
  gInput = static_cast<uint8_t*>(grown);
  gInputCap = cap;
  return reinterpret_cast<uintptr_t>(gInput);
}

TSN_EXPORT("tsn_engine_new")
uint32_t tsn_engine_new(uint32_t maxBodySize, double maxBufferedBytes, uint32_t redactPtr,
                        uint32_t redactLen) {
  if (!(maxBufferedBytes >= 0)) return 0;  // also rejects NaN
  tsn::EngineOptions options(
      maxBodySize, maxBufferedBytes >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(maxBufferedBytes));
  if (redactLen > 0) {
    if (redactPtr == 0) return 0;
    options.redactCsv = std::string_view(reinterpret_cast<const char*>(redactPtr), redactLen);
  }
  auto* engine = new (std::nothrow) tsn::Engine(options);
  return reinterpret_cast<uintptr_t>(engine);
}

TSN_EXPORT("tsn_engine_feed") int32_t tsn_engine_feed(uint32_t h, uint32_t ptr, uint32_t len) {
  if (h == 0 || (ptr == 0 && len != 0)) return -2;
  return AsEngine(h)->Feed(reinterpret_cast<const uint8_t*>(ptr), len);
}

// ts is part of the ABI but not needed: messages still open end at their last data time.
TSN_EXPORT("tsn_engine_finish") void tsn_engine_finish(uint32_t h, double /*ts*/) {
  if (h == 0) return;
  AsEngine(h)->Finish();
}

TSN_EXPORT("tsn_output_ptr") uint32_t tsn_output_ptr(uint32_t h) {
  if (h == 0) return 0;
  return reinterpret_cast<uintptr_t>(AsEngine(h)->output().data());
}

TSN_EXPORT("tsn_output_len") uint32_t tsn_output_len(uint32_t h) {
  if (h == 0) return 0;
  return static_cast<uint32_t>(AsEngine(h)->output().size());
}

TSN_EXPORT("tsn_output_clear") void tsn_output_clear(uint32_t h) {
  if (h == 0) return;
  AsEngine(h)->output().Clear();
}

TSN_EXPORT("tsn_engine_stats") uint32_t tsn_engine_stats(uint32_t h) {
  if (h == 0) return 0;
  return reinterpret_cast<uintptr_t>(AsEngine(h)->StatsJson().c_str());
}

TSN_EXPORT("tsn_engine_free") void tsn_engine_free(uint32_t h) {
  delete AsEngine(h);
}

// The module must run with no imports at all (any JS runtime, nothing to stub). Two libc hooks
// would otherwise be imported: the memory-growth notification (JS glue only; memory views are
// re-read by the loader after every call anyway) and WASI proc_exit, reached only through abort()
// (allocation failure). Exiting becomes a trap, which the loader sees as an exception from the call
// that hit it.
extern "C" void emscripten_notify_memory_growth(size_t) {}
extern "C" void __wasi_proc_exit(uint32_t) { __builtin_trap(); }

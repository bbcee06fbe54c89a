// memcpy and memset for the WebAssembly build, bulk-memory instructions (memory.copy, memory.fill)
// from 128 bytes and vector loops below, in place of Emscripten's libc ones (libc's memmove calls
// this memcpy when the two do not overlap).
//
// Why: Emscripten's standalone libc (3.1.6, Debian's) copies with a C loop, four bytes at a time, and
// one byte at a time when source and destination differ in alignment (a body's bytes at any offset of
// a batch). Our own sources get memory.copy from -mbulk-memory, but the prebuilt libc++ does not: its
// std::string appends (every kept body, header name and value) call the libc loop, which was 5% of the
// JS thread's samples under the live wrk load, most of it copying 4 KiB bodies (docs/performance.md,
// "Live capture: the JS thread"). The linker takes these strong definitions over libc's weak ones.
// Built only into http_core.wasm (http-core/CMakeLists.txt); the native builds keep the platform's.
#include <cstddef>

#if !defined(__wasm_bulk_memory__)
#error "wasm_memory.cc needs -mbulk-memory: without it the builtins below would call themselves"
#endif

#include <cstdint>

namespace {
// Below this a call into V8's memory.copy costs more than a word loop (bench_wasm's streams of
// 0.1-1.5 KB bodies ran 5-10% slower with memory.copy for every size).
constexpr size_t kBulkFrom = 128;
}  // namespace

extern "C" {

// no_builtin: the loops must not be turned back into calls of the functions they are in.
__attribute__((no_builtin("memcpy"))) void* memcpy(void* __restrict dst, const void* __restrict src, size_t n) {
  if (n >= kBulkFrom) return __builtin_memcpy(dst, src, n);
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  for (; n >= 8; n -= 8, d += 8, s += 8) {
    uint64_t w;
    __builtin_memcpy(&w, s, 8);
    __builtin_memcpy(d, &w, 8);
  }
  for (; n > 0; --n) *d++ = *s++;
  return dst;
}

__attribute__((no_builtin("memset"))) void* memset(void* dst, int c, size_t n) {
  if (n >= kBulkFrom) return __builtin_memset(dst, c, n);
  auto* d = static_cast<unsigned char*>(dst);
  for (; n > 0; --n) *d++ = static_cast<unsigned char>(c);
  return dst;
}

}  // extern "C"

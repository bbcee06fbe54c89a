// TextArena: one message's start-line and header bytes, appended piece by piece as llhttp hands them
// over (a name or value may come in several pieces); spans (offsets) into it stay valid as it grows.
//
// A std::string did this before; each append was then a call into the prebuilt libc++ and from it
// into memcpy, a dozen times per message, which in the WebAssembly build (above all in V8's baseline
// tier, where the CLI reads capture files) cost more than the copying (docs/performance.md, "HTTP
// core"). Here an append that fits is a bounds check and an inline copy.
//
// Memory: heap_bytes() (what HeldLedger counts): capacity() and kSlack more, which let a 16-byte
// vector load or store start at any offset up to size() (header_text.h, the *InArena functions);
// grows by doubling from the first need; Release() gives it back.
#ifndef HTTP_CORE_TEXT_ARENA_H_
#define HTTP_CORE_TEXT_ARENA_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "word_bits.h"

namespace http_core {

class TextArena {
 public:
  static constexpr size_t kSlack = 16;

  void Append(const char* p, size_t n) {
    if (cap_ - size_ < n) Grow(n);
    if (n <= 64) CopyBytes(data_.get() + size_, p, n);
    else std::memcpy(data_.get() + size_, p, n);
    size_ += n;
  }
  void Append(std::string_view text) { Append(text.data(), text.size()); }

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  size_t heap_bytes() const { return cap_ ? cap_ + kSlack : 0; }
  void clear() { size_ = 0; }
  // Gives the storage back (clear() keeps it).
  void Release() {
    data_.reset();
    size_ = cap_ = 0;
  }

 private:
  void Grow(size_t n);

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace http_core

#endif  // HTTP_CORE_TEXT_ARENA_H_

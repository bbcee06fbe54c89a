#include "output_buffer.h"

#include <cstring>
#include <utility>

namespace http_core {
namespace {
constexpr size_t kInitialBytes = 64 << 10;
constexpr size_t kKeptBytes = 8 << 20;  // larger buffers are given back at Clear
}  // namespace

void OutputBuffer::Append(std::string_view text) {
  char* p = Reserve(text.size());
  std::memcpy(p, text.data(), text.size());
  used_ += text.size();
}

void OutputBuffer::Clear() {
  used_ = 0;
  if (cap_ > kKeptBytes) {
    data_.reset();
    cap_ = 0;
  }
}

void OutputBuffer::Grow(size_t n) {
  size_t cap = cap_ ? cap_ : kInitialBytes;
  while (cap - used_ < n) cap *= 2;
  std::unique_ptr<char[]> grown(new char[cap]);  // default-initialised: not zero-filled
  if (used_ > 0) std::memcpy(grown.get(), data_.get(), used_);
  data_ = std::move(grown);
  cap_ = cap;
}

}  // namespace http_core

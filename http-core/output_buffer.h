// OutputBuffer: lines the engine wrote since the last clear (its messages, or its log records), in place.
//
// Writers ask for room for the most bytes they could write (Reserve), write through the pointer,
// and record where they stopped (Commit). Growing copies what is there and never zero-fills, so a
// message line costs one capacity check however many pieces it has.
#ifndef HTTP_CORE_OUTPUT_BUFFER_H_
#define HTTP_CORE_OUTPUT_BUFFER_H_

#include <cstddef>
#include <memory>
#include <string_view>

namespace http_core {

class OutputBuffer {
 public:
  // Room for at least n more bytes after the committed ones; valid until the next Reserve.
  char* Reserve(size_t n) {
    if (cap_ - used_ < n) Grow(n);
    return data_.get() + used_;
  }
  // REQUIRES: end lies within the room of the last Reserve (or at or after a mark taken since).
  void Commit(char* end) { used_ = static_cast<size_t>(end - data_.get()); }
  // Forgets everything written after size() was `mark`.
  void Truncate(size_t mark) { used_ = mark; }
  void Append(std::string_view text);

  const char* data() const { return data_.get(); }
  size_t size() const { return used_; }
  bool empty() const { return used_ == 0; }
  std::string_view view() const { return std::string_view(data_.get(), used_); }

  // Forgets the contents; a buffer that a burst made large is given back.
  void Clear();

 private:
  void Grow(size_t n);

  std::unique_ptr<char[]> data_;
  size_t cap_ = 0;
  size_t used_ = 0;
};

}  // namespace http_core

#endif  // HTTP_CORE_OUTPUT_BUFFER_H_

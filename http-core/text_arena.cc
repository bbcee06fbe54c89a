#include "text_arena.h"

#include <utility>

namespace http_core {

// Doubling, from the first need rounded up to 16 bytes: a small header section holds a few dozen bytes,
// which the budget counts (a fixed first size of a few hundred bytes would count, and hold, several
// times that).
void TextArena::Grow(size_t n) {
  const size_t need = (size_ + n + 15) & ~size_t{15};
  const size_t cap = need > 2 * cap_ ? need : 2 * cap_;
  std::unique_ptr<char[]> grown(new char[cap + kSlack]);  // not zero-filled
  if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
  data_ = std::move(grown);
  cap_ = cap;
}

}  // namespace http_core

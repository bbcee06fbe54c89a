// HeaderGroups: which header lines of a message share a name. The message's JSON writes a repeated
// name once, at its first occurrence, with every value in order (docs/message.md, `headers`).
//
// Contract:
// - Build() groups n headers with a sort of the lines by (hash of the name, name, index): O(n log n)
//   integer comparisons, and name comparisons only between equal hashes, whatever the names. A
//   header section of 1,000 distinct names no longer costs n * n = 1,000,000 name comparisons.
//   Up to kInline lines, a pairwise pass over cheaper keys instead (a bounded n * n, cheaper there).
// - Memory: 24 bytes per header line; up to kInline lines without allocating.
#ifndef HTTP_CORE_HEADER_GROUPS_H_
#define HTTP_CORE_HEADER_GROUPS_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "message.h"

namespace http_core {

class HeaderGroups {
 public:
  static constexpr uint32_t kEnd = 0xFFFFFFFFu;
  static constexpr size_t kInline = 32;

  HeaderGroups() = default;
  HeaderGroups(const HeaderGroups&) = delete;
  HeaderGroups& operator=(const HeaderGroups&) = delete;

  void Build(const Message& msg);
  // Whether header i is the first of its name.
  bool IsFirst(size_t i) const { return first_[i] != 0; }
  // The next header after i with the same name, or kEnd.
  uint32_t Next(size_t i) const { return next_[i]; }
  // Name comparisons the last Build made (tests bound the work with it).
  uint64_t comparisons() const { return comparisons_; }

 private:
  void BuildFew(const Message& msg);

  struct Key {
    uint64_t hash;
    uint32_t index;
  };
  uint32_t inline_[2 * kInline];
  std::unique_ptr<uint32_t[]> heap_;
  std::unique_ptr<Key[]> heap_keys_;
  uint32_t* next_ = inline_;             // n entries
  uint32_t* first_ = inline_ + kInline;  // n entries: 1 for the first header of a name
  Key* keys_ = nullptr;                  // n entries, sorted (beyond kInline lines)
  uint64_t comparisons_ = 0;
};

}  // namespace http_core

#endif  // HTTP_CORE_HEADER_GROUPS_H_

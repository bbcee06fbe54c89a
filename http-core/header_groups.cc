#include "header_groups.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "word_bits.h"

namespace http_core {
namespace {

// The name's length and its first and last eight bytes, mixed: O(1) per name. It only spreads
// names so that the sort below compares integers; names it does not tell apart (the same length
// and ends, different middles) cost a name comparison each time the sort meets them, never more.
uint64_t NameHash(std::string_view name) {
  uint64_t head = 0, tail = 0;
  const size_t n = name.size();
  std::memcpy(&head, name.data(), n < 8 ? n : 8);
  if (n > 8) std::memcpy(&tail, name.data() + n - 8, 8);
  uint64_t h = (head ^ (n * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ tail ^ (h >> 31)) * 0x94D049BB133111EBull;
  return h ^ (h >> 29);
}

// A name's length and its first eight bytes (fewer for a shorter name), without a multiply: for a
// handful of names, equal keys are rare unless the names are equal, and then the names are compared.
uint64_t FewKey(std::string_view name) {
  const size_t n = name.size();
  uint64_t head;
  if (n >= 8) head = Load64(name.data());
  else if (n >= 4) head = LoadEnds(name.data(), n);
  else head = n == 0 ? 0 : (uint64_t{static_cast<uint8_t>(name[0])} << 8 | static_cast<uint8_t>(name[n - 1]));
  return head ^ (uint64_t{n} << 56);
}

}  // namespace

// Up to kInline lines (nearly every message), each line is compared with the later ones by a key (the
// name's length and first bytes): at most 32 * 31 / 2 integer comparisons, cheaper than sorting for
// so few, and names are compared only where keys are equal. Beyond that, line indices are sorted by
// (hash, name, index): equal names end up side by side in message order, so one pass over the sorted
// keys links each line to the next of its name; std::sort's O(n log n) comparisons hold for any names.
void HeaderGroups::Build(const Message& msg) {
  const size_t n = msg.headers.size();
  if (n <= kInline) {
    BuildFew(msg);
    return;
  }
  heap_.reset(new uint32_t[2 * n]);
  heap_keys_.reset(new Key[n]);
  next_ = heap_.get();
  first_ = heap_.get() + n;
  keys_ = heap_keys_.get();
  for (size_t i = 0; i < n; ++i) {
    keys_[i] = Key{NameHash(msg.Text(msg.headers[i].name)), static_cast<uint32_t>(i)};
  }
  uint64_t comparisons = 0;
  std::sort(keys_, keys_ + n, [&msg, &comparisons](const Key& a, const Key& b) {
    if (a.hash != b.hash) return a.hash < b.hash;
    ++comparisons;
    const int c = msg.Text(msg.headers[a.index].name).compare(msg.Text(msg.headers[b.index].name));
    return c < 0 || (c == 0 && a.index < b.index);
  });
  for (size_t i = 0; i < n; ++i) first_[i] = 1;
  for (size_t k = 0; k < n; ++k) {
    const Key& a = keys_[k];
    bool same = k + 1 < n && keys_[k + 1].hash == a.hash;
    if (same) {
      ++comparisons;
      same = msg.Text(msg.headers[a.index].name) == msg.Text(msg.headers[keys_[k + 1].index].name);
    }
    next_[a.index] = same ? keys_[k + 1].index : kEnd;
    if (same) first_[keys_[k + 1].index] = 0;
  }
  comparisons_ = comparisons;
}

void HeaderGroups::BuildFew(const Message& msg) {
  const size_t n = msg.headers.size();
  next_ = inline_;
  first_ = inline_ + kInline;
  uint64_t keys[kInline];
  for (size_t i = 0; i < n; ++i) {
    keys[i] = FewKey(msg.Text(msg.headers[i].name));
    first_[i] = 1;
    next_[i] = kEnd;
  }
  uint64_t comparisons = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!first_[i]) continue;  // already linked behind an earlier line of its name
    uint32_t last = static_cast<uint32_t>(i);
    for (size_t j = i + 1; j < n; ++j) {
      if (keys[j] != keys[i] || !first_[j]) continue;
      ++comparisons;
      if (msg.Text(msg.headers[i].name) != msg.Text(msg.headers[j].name)) continue;
      next_[last] = static_cast<uint32_t>(j);
      first_[j] = 0;
      last = static_cast<uint32_t>(j);
    }
  }
  comparisons_ = comparisons;
}

}  // namespace http_core

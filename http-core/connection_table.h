// ConnectionTable: the open connections of one engine, by connection id; it owns their assemblers.
//
// Every stream event looks its connection up here, so the lookup is the one per-event cost that
// grows with the number of open connections. An open-addressing table (linear probing, ids spread
// by a multiplicative hash) finds a connection by reading one slot (id and pointer side by side);
// std::unordered_map read a bucket, the node before the connection's (another connection's, from
// anywhere in memory) and the connection's own node, each a cache miss once thousands of
// connections are open (docs/performance.md, "HTTP core: CPU per connection").
//
// Contract:
// - Ids are never 0 (EventReader refuses such events): 0 marks a free slot.
// - Memory: 16 bytes per slot (12 in wasm32, padded to 16); at most 3/4 of the slots are used, at
//   least 1/8 once the table has grown past its first size (it shrinks as connections close), so
//   a burst of connections is given back when it ends.
// - Pointers to assemblers stay valid until the assembler is erased (the table moves slots, never
//   assemblers).
#ifndef HTTP_CORE_CONNECTION_TABLE_H_
#define HTTP_CORE_CONNECTION_TABLE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "http_assembler.h"

namespace http_core {

class ConnectionTable {
 public:
  ConnectionTable() = default;
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;
  ~ConnectionTable() { Clear(); }

  // The connection's assembler, or nullptr.
  HttpAssembler* Find(uint64_t id) const {
    if (size_ == 0) return nullptr;
    for (size_t i = Home(id);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == id) return s.conn;
      if (s.id == 0) return nullptr;
    }
  }
  // REQUIRES: id != 0, Find(id) == nullptr.
  void Insert(uint64_t id, std::unique_ptr<HttpAssembler> conn);
  // Destroys the connection's assembler. REQUIRES: Find(id) != nullptr.
  void Erase(uint64_t id);
  // Destroys every assembler.
  void Clear();

  // Calls fn(id, assembler) for every connection, in ascending id order (for ids given out in
  // sequence, the order the connections were opened); fn must not change the table.
  template <typename Fn>
  void ForEachById(Fn&& fn) const;

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t id = 0;
    HttpAssembler* conn = nullptr;
  };
  static constexpr size_t kMinSlots = 16;

  size_t Home(uint64_t id) const {
    // Fibonacci hashing: the top bits of id * 2^64/phi, so that ids in sequence land far apart.
    return static_cast<size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void Resize(size_t slots);
  void Place(uint64_t id, HttpAssembler* conn);

  std::unique_ptr<Slot[]> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  size_t capacity_ = 0;  // slots
  unsigned shift_ = 64;
};

template <typename Fn>
void ConnectionTable::ForEachById(Fn&& fn) const {
  std::unique_ptr<Slot[]> sorted(new Slot[size_]);
  size_t n = 0;
  for (size_t i = 0; i < capacity_; ++i) {
    if (slots_[i].id != 0) sorted[n++] = slots_[i];
  }
  std::sort(sorted.get(), sorted.get() + n, [](const Slot& a, const Slot& b) { return a.id < b.id; });
  for (size_t i = 0; i < n; ++i) fn(sorted[i].id, *sorted[i].conn);
}

}  // namespace http_core

#endif  // HTTP_CORE_CONNECTION_TABLE_H_

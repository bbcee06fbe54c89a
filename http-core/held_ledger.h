// HeldLedger: every byte the core holds for its connections, per connection and in total, against
// one limit (the core's share of maxBufferedBytes, docs/internals.md §6).
//
// A connection's figure is what HttpAssembler::HeldBytes() says: the open messages' header arenas,
// header lists and kept bodies, the carried partial line of a resynchronisation, the client bytes and
// the Upgrade value held while an upgrade awaits its answer. The engine refreshes the figure of the
// connection an event touched, after the event; when the total is over the limit it cuts the largest
// holder first (HttpAssembler::CutHeld) until it is not. Entries are linked only while they hold
// something, so finding the largest walks only the connections that hold bytes.
#ifndef HTTP_CORE_HELD_LEDGER_H_
#define HTTP_CORE_HELD_LEDGER_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace http_core {

// The heap bytes of a string: none while it fits in the string object itself.
inline size_t HeapBytes(const std::string& s) {
  const size_t in_place = std::string().capacity();  // folded to a constant; no static guard
  return s.capacity() > in_place ? s.capacity() : 0;
}

class HttpAssembler;

struct HeldEntry {
  uint64_t bytes = 0;
  HttpAssembler* owner = nullptr;
  HeldEntry* prev = nullptr;
  HeldEntry* next = nullptr;
  bool linked = false;
};

class HeldLedger {
 public:
  // Sets the entry's figure (0 unlinks it).
  void Update(HeldEntry* entry, uint64_t bytes);
  void Remove(HeldEntry* entry) { Update(entry, 0); }
  // The entry holding the most, or nullptr when nothing is held.
  HeldEntry* Largest() const;

  // Calls fn(entry) for every entry that holds something; fn may Update the entry it is given.
  template <typename Fn>
  void ForEach(Fn&& fn) {
    for (HeldEntry* e = head_; e;) {
      HeldEntry* next = e->next;
      fn(e);
      e = next;
    }
  }

  uint64_t total() const { return total_; }
  // The highest total seen after the limit was enforced (what the core kept between events).
  uint64_t peak() const { return peak_; }
  void NotePeak() {
    if (total_ > peak_) peak_ = total_;
  }

 private:
  uint64_t total_ = 0;
  uint64_t peak_ = 0;
  HeldEntry* head_ = nullptr;
};

}  // namespace http_core

#endif  // HTTP_CORE_HELD_LEDGER_H_

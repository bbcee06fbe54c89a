// An open-addressing index from a 64-bit hash to entries stored elsewhere, which hold their own keys:
// what the flow table and the recently closed 4-tuples look connections up by.
//
// One flat array of slots, each the entry's pointer and its full hash. A lookup walks the slots from
// the hash's home (linear probing) and reads an entry, a likely cache miss, only where the hashes are
// equal; a chained hash map first reads a bucket, then a node per candidate, then the entry. No
// tombstones: removal moves later entries of the same run back (backward shift), so runs never
// lengthen with churn. The capacity is a power of two kept at most 3/4 full, doubled when needed and
// never shrunk, so it is bounded by what the owner bounds: 16 bytes per slot, at most
// 2 x 4/3 x 16 bytes (under 43) per entry at the peak (docs/performance.md, "conns: the capture thread").
//
// The hashes must be seeded (flow_table.h's SymmetricFlowHash): linear probing with hashes a client
// could predict would let it build one long run.
#ifndef CAPTURE_SHIM_FLOW_INDEX_H_
#define CAPTURE_SHIM_FLOW_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace capture_shim {

template <typename T>
class FlowIndex {
 public:
  FlowIndex() = default;
  FlowIndex(const FlowIndex&) = delete;
  FlowIndex& operator=(const FlowIndex&) = delete;

  // The entry with `hash` for which `matches(entry)` holds, or null.
  template <typename Match>
  T* Find(uint64_t hash, Match&& matches) const {
    if (size_ == 0) return nullptr;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.entry == nullptr) return nullptr;
      if (s.hash == hash && matches(*s.entry)) return s.entry;
    }
  }

  // REQUIRES: `entry` is not in the index.
  void Insert(uint64_t hash, T* entry) {
    if ((size_ + 1) * 4 > capacity() * 3) Grow();
    Place(slots_.get(), mask_, hash, entry);
    ++size_;
  }

  // REQUIRES: `entry` is in the index with `hash`.
  void Remove(uint64_t hash, const T* entry) {
    size_t hole = hash & mask_;
    while (slots_[hole].entry != entry) hole = (hole + 1) & mask_;
    // Backward shift: every later entry of the run that may sit in the hole (its home is not
    // between the hole and itself, cyclically) moves into it, and leaves a hole of its own.
    for (size_t i = (hole + 1) & mask_; slots_[i].entry != nullptr; i = (i + 1) & mask_) {
      size_t home = slots_[i].hash & mask_;
      if (((i - home) & mask_) >= ((i - hole) & mask_)) {
        slots_[hole] = slots_[i];
        hole = i;
      }
    }
    slots_[hole] = Slot{};
    --size_;
  }

  // Calls fn(T*) for every entry, in slot order. REQUIRES: fn does not insert or remove.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t i = 0; i < capacity(); ++i) {
      if (slots_[i].entry != nullptr) fn(slots_[i].entry);
    }
  }

  size_t size() const { return size_; }
  size_t capacity() const { return slots_ ? mask_ + 1 : 0; }
  size_t memory_bytes() const { return capacity() * sizeof(Slot); }

 private:
  struct Slot {
    T* entry = nullptr;  // null: free
    uint64_t hash = 0;
  };
  static constexpr size_t kMinCapacity = 64;

  static void Place(Slot* slots, size_t mask, uint64_t hash, T* entry) {
    size_t i = hash & mask;
    while (slots[i].entry != nullptr) i = (i + 1) & mask;
    slots[i] = Slot{entry, hash};
  }

  void Grow() {
    size_t capacity = slots_ ? (mask_ + 1) * 2 : kMinCapacity;
    std::unique_ptr<Slot[]> grown(new Slot[capacity]);
    for (size_t i = 0; slots_ && i <= mask_; ++i) {
      if (slots_[i].entry != nullptr) Place(grown.get(), capacity - 1, slots_[i].hash, slots_[i].entry);
    }
    slots_ = std::move(grown);
    mask_ = capacity - 1;
  }

  std::unique_ptr<Slot[]> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_FLOW_INDEX_H_

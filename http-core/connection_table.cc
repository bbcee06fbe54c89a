#include "connection_table.h"

namespace http_core {

void ConnectionTable::Insert(uint64_t id, std::unique_ptr<HttpAssembler> conn) {
  if (capacity_ == 0 || (size_ + 1) * 4 > capacity_ * 3) Resize(capacity_ == 0 ? kMinSlots : 2 * capacity_);
  Place(id, conn.release());
  ++size_;
}

void ConnectionTable::Place(uint64_t id, HttpAssembler* conn) {
  size_t i = Home(id);
  while (slots_[i].id != 0) i = (i + 1) & mask_;
  slots_[i] = Slot{id, conn};
}

// Backward-shift deletion: the slots after the freed one that could sit earlier move up, so a
// lookup still stops at the first free slot and no tombstones pile up.
void ConnectionTable::Erase(uint64_t id) {
  size_t i = Home(id);
  while (slots_[i].id != id) i = (i + 1) & mask_;
  delete slots_[i].conn;
  for (size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
    if (slots_[j].id == 0) break;
    // slots_[j] may move to i only if its home is not in (i, j] (cyclically).
    const size_t home = Home(slots_[j].id);
    const bool home_in_between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (home_in_between) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i] = Slot{};
  --size_;
  if (capacity_ > kMinSlots && size_ * 8 < capacity_) Resize(capacity_ / 2);
}

void ConnectionTable::Clear() {
  for (size_t i = 0; i < capacity_; ++i) delete slots_[i].conn;
  slots_.reset();
  capacity_ = size_ = mask_ = 0;
  shift_ = 64;
}

void ConnectionTable::Resize(size_t slots) {
  std::unique_ptr<Slot[]> old = std::move(slots_);
  const size_t old_capacity = capacity_;
  slots_.reset(new Slot[slots]);
  capacity_ = slots;
  mask_ = slots - 1;
  shift_ = 64;
  for (size_t s = slots; s > 1; s >>= 1) --shift_;
  for (size_t i = 0; i < old_capacity; ++i) {
    if (old[i].id != 0) Place(old[i].id, old[i].conn);
  }
}

}  // namespace http_core

#include "held_ledger.h"

namespace http_core {

void HeldLedger::Update(HeldEntry* entry, uint64_t bytes) {
  total_ = total_ - entry->bytes + bytes;
  entry->bytes = bytes;
  if (bytes > 0 && !entry->linked) {
    entry->prev = nullptr;
    entry->next = head_;
    if (head_) head_->prev = entry;
    head_ = entry;
    entry->linked = true;
  } else if (bytes == 0 && entry->linked) {
    if (entry->prev) entry->prev->next = entry->next; else head_ = entry->next;
    if (entry->next) entry->next->prev = entry->prev;
    entry->prev = entry->next = nullptr;
    entry->linked = false;
  }
}

HeldEntry* HeldLedger::Largest() const {
  HeldEntry* best = nullptr;
  for (HeldEntry* e = head_; e; e = e->next) {
    if (best == nullptr || e->bytes > best->bytes) best = e;
  }
  return best;
}

}  // namespace http_core

#include "body_budget.h"

namespace http_core {

size_t BodyBudget::Keep(BodyHolder* holder, const uint8_t* data, size_t len) {
  if (holder->cut || len == 0) return 0;
  while (used_ + len > max_) {
    BodyHolder* victim = Largest();
    // Nothing else holds bytes (or the requester is the largest): the requester gives way.
    if (victim == nullptr || victim->size() < holder->size() + len) victim = holder;
    Cut(victim);
    if (victim == holder) return 0;
  }
  if (!holder->linked) {
    holder->prev = nullptr;
    holder->next = head_;
    if (head_) head_->prev = holder;
    head_ = holder;
    holder->linked = true;
  }
  if (holder->size() == 0) {
    holder->view = reinterpret_cast<const char*>(data);
    holder->view_len = len;
  } else {
    Settle(holder);
    holder->stored.append(reinterpret_cast<const char*>(data), len);
  }
  used_ += len;
  return len;
}

void BodyBudget::Release(BodyHolder* holder) {
  used_ -= holder->size();
  holder->view = nullptr;
  holder->view_len = 0;
  // Large bodies give their memory back; small ones keep capacity for the next message.
  if (holder->stored.capacity() > 1024) {
    std::string().swap(holder->stored);
  } else {
    holder->stored.clear();
  }
  if (holder->linked) {
    if (holder->prev) holder->prev->next = holder->next; else head_ = holder->next;
    if (holder->next) holder->next->prev = holder->prev;
    holder->prev = holder->next = nullptr;
    holder->linked = false;
  }
}

uint64_t BodyBudget::CutLargest() {
  BodyHolder* victim = Largest();
  if (victim == nullptr) return 0;
  const uint64_t n = victim->size();
  Cut(victim);
  return n;
}

void BodyBudget::Cut(BodyHolder* holder) {
  ++cuts_;
  cut_bytes_ += holder->size();
  Release(holder);
  holder->cut = true;
}

BodyHolder* BodyBudget::Largest() const {
  BodyHolder* best = nullptr;
  for (BodyHolder* h = head_; h; h = h->next) {
    if (best == nullptr || h->size() > best->size()) best = h;
  }
  return best;
}

}  // namespace http_core

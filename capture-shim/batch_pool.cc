#include "batch_pool.h"

#include <utility>

namespace capture_shim {

Batch BatchPool::Take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!spare_.empty()) {
      Batch b = std::move(spare_.back());
      spare_.pop_back();
      spare_bytes_ -= b.capacity();
      b.clear();
      return b;
    }
  }
  Batch b;
  b.reserve(capacity_);
  return b;
}

void BatchPool::Give(Batch&& spent) {
  Batch freed;  // destroyed (unmapped) outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (spent.capacity() >= capacity_ && spare_bytes_ + spent.capacity() <= max_spare_bytes_) {
      spare_bytes_ += spent.capacity();
      spare_.push_back(std::move(spent));
      return;
    }
    freed = std::move(spent);
  }
}

void BatchPool::Trim() {
  std::vector<Batch> freed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    freed.swap(spare_);
    spare_bytes_ = 0;
  }
}

size_t BatchPool::spare_bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return spare_bytes_;
}

}  // namespace capture_shim

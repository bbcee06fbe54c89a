#include "batch_pool.h"

#include <utility>

namespace capture_shim {

Batch BatchPool::Take(size_t* warm_bytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!spare_.empty()) {
      Spare s = std::move(spare_.back());
      spare_.pop_back();
      spare_bytes_ -= s.batch.capacity();
      s.batch.clear();
      if (warm_bytes != nullptr) *warm_bytes = s.warm_bytes;
      return std::move(s.batch);
    }
  }
  Batch b;
  b.reserve(capacity_);
  if (warm_bytes != nullptr) *warm_bytes = 0;
  return b;
}

void BatchPool::Give(Batch&& spent) {
  Batch freed;  // destroyed (unmapped) outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (spent.capacity() >= capacity_ && spare_bytes_ + spent.capacity() <= max_spare_bytes_) {
      spare_bytes_ += spent.capacity();
      const size_t warm = spent.size();  // written, so resident
      spare_.push_back(Spare{std::move(spent), warm});
      return;
    }
    freed = std::move(spent);
  }
}

void BatchPool::Trim() {
  std::vector<Spare> freed;
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

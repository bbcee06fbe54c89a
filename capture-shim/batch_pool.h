// Spent batch buffers handed back by the consumer, so that the capture thread reuses warm memory
// instead of faulting in fresh pages for every batch in a burst. Bounded in bytes (the buffers'
// capacity); what does not fit is freed, which unmaps it (event_writer.h). Thread-safe: the consumer
// gives on its thread, the capture thread takes, and trims once the link is quiet so that a burst's
// memory does not stay resident after it.
#ifndef CAPTURE_SHIM_BATCH_POOL_H_
#define CAPTURE_SHIM_BATCH_POOL_H_

#include <cstddef>
#include <mutex>
#include <vector>

#include "event_writer.h"

namespace capture_shim {

class BatchPool {
 public:
  // Buffers reserve `capacity` bytes; at most `max_spare_bytes` of them are kept.
  BatchPool(size_t capacity, size_t max_spare_bytes)
      : capacity_(capacity), max_spare_bytes_(max_spare_bytes) {}
  // An empty batch with at least `capacity` bytes reserved: a spare if there is one. `*warm_bytes`
  // (if given) is how much of it is known to be resident: what it held when it was given back.
  Batch Take(size_t* warm_bytes = nullptr);
  // Keeps `spent` for reuse if it fits the bound, else frees it.
  void Give(Batch&& spent);
  // Frees every spare.
  void Trim();
  size_t spare_bytes();

 private:
  struct Spare {
    Batch batch;
    size_t warm_bytes;
  };

  std::mutex mu_;
  std::vector<Spare> spare_;
  size_t spare_bytes_ = 0;
  size_t capacity_;
  size_t max_spare_bytes_;
};

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_BATCH_POOL_H_

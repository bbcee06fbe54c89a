#include "closed_tuples.h"

#include <algorithm>

namespace capture_shim {

ClosedTuples::ClosedTuples(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {
  ring_.reserve(capacity_);
}

void ClosedTuples::Remember(const FlowKey& key, uint64_t hash, int64_t ts) {
  auto same = [&key](const Record& r) { return r.key == key; };
  if (Record* earlier = index_.Find(hash, same)) {
    index_.Remove(hash, earlier);
    earlier->live = false;
  }
  Record* r;
  if (ring_.size() < capacity_) {
    r = &ring_.emplace_back();  // within the reservation: no reallocation moves the records
  } else {
    r = &ring_[oldest_];
    oldest_ = (oldest_ + 1) % capacity_;
    if (r->live) index_.Remove(r->hash, r);
  }
  *r = Record{key, true, hash, ts};
  index_.Insert(hash, r);
}

bool ClosedTuples::ClosedSince(const FlowKey& key, uint64_t hash, int64_t since) const {
  const Record* r = index_.Find(hash, [&key](const Record& rec) { return rec.key == key; });
  return r != nullptr && r->ts >= since;
}

}  // namespace capture_shim

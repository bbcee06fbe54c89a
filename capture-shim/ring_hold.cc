#include "ring_hold.h"

#include <algorithm>

namespace capture_shim {
namespace {

// The window the consumption rate is measured over: long enough to span several block wake-ups.
constexpr int64_t kRateWindowUs = 50'000;

}  // namespace

RingHold::RingHold(uint64_t ring_bytes, int block_timeout_ms)
    : half_ring_bytes_(ring_bytes / 2),
      timeout_rate_(static_cast<double>(kRingBlockBytes) * 1000.0 / std::max(1, block_timeout_ms)) {}

void RingHold::OnRingEmpty(int64_t now_us) {
  empty_at_ = now_us;
  read_since_empty_ = 0;
  if (window_start_ < 0) {
    window_start_ = now_us;
    window_bytes_ = 0;
    fill_rate_ = timeout_rate_;
    return;
  }
  // The ring was empty at both ends of the window, so what was read in it is what arrived: the
  // rate until the next empty ring is the faster of this window's and the last whole one's (a
  // window just begun is short and so, if anything, high). Not updated between waits: a window
  // that holds waits would measure the reads, not the arrivals.
  int64_t elapsed = std::max<int64_t>(now_us - window_start_, kRateWindowUs / 10);
  double current = window_bytes_ * 1e6 / elapsed;
  // Blocks fill by bytes, or, slower than a block per timeout, are retired part-filled by it.
  fill_rate_ = std::max({last_rate_, current, timeout_rate_});
  if (now_us - window_start_ >= kRateWindowUs) {
    last_rate_ = current;
    window_start_ = now_us;
    window_bytes_ = 0;
  }
}

int64_t RingHold::Remaining(int64_t now_us) const {
  // A block may be partly filled already when the wait starts.
  if (empty_at_ < 0 || half_ring_bytes_ <= kRingBlockBytes) return 0;
  double allowed_us =
      static_cast<double>(half_ring_bytes_ - kRingBlockBytes + read_since_empty_) * 1e6 / fill_rate_;
  return std::max<int64_t>(0, static_cast<int64_t>(allowed_us) - (now_us - empty_at_));
}

}  // namespace capture_shim

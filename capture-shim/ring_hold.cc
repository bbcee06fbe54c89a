#include "ring_hold.h"

#include <algorithm>

namespace capture_shim {
namespace {

// The window the consumption rate is measured over: long enough to span several block wake-ups.
constexpr int64_t kRateWindowUs = 50'000;
// A ring is busy when it fills at least this fraction of a block per block timeout (the estimate
// still counts a whole block per timeout at least: four times the rate that makes it busy).
constexpr double kBusyFraction = 4;
// How long a busy window's rate is remembered: a lull shorter than this does not lower the estimate.
constexpr int64_t kPeakMemoryUs = 500'000;

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
    return;
  }
  // The ring was empty at both ends of the window, so what was read in it is what arrived (a window
  // just begun is short and so, if anything, high; counted as at least a block timeout long). Not
  // updated between waits: a window that holds waits would measure the reads, not the arrivals.
  int64_t elapsed = std::max<int64_t>(now_us - window_start_, kRateWindowUs / 5);
  double current = window_bytes_ * 1e6 / elapsed;
  if (now_us - window_start_ >= kRateWindowUs) {
    if (current >= peak_rate_ || now_us - peak_at_ > kPeakMemoryUs) {
      peak_rate_ = current;
      peak_at_ = now_us;
    }
    window_start_ = now_us;
    window_bytes_ = 0;
  }
  double recent = std::max(now_us - peak_at_ <= kPeakMemoryUs ? peak_rate_ : 0, current);
  busy_ = recent >= timeout_rate_ / kBusyFraction;
  // Blocks fill by bytes, or, slower than a block per timeout, are retired part-filled by it.
  fill_rate_ = std::max(recent, timeout_rate_);
}

int64_t RingHold::Remaining(int64_t now_us) const {
  if (empty_at_ < 0 || half_ring_bytes_ <= kRingBlockBytes) return 0;
  // A read still going (a backlog after the thread was kept from running) measures the rate too:
  // what it read arrived since the ring was last empty, at least.
  int64_t since = std::max<int64_t>(now_us - empty_at_, kRateWindowUs / 5);
  double reading = read_since_empty_ * 1e6 / since;
  if (!busy_ && reading < timeout_rate_ / kBusyFraction) return 0;
  // A block may be partly filled already when the wait starts.
  double allowed_us = static_cast<double>(half_ring_bytes_ - kRingBlockBytes + read_since_empty_) *
                      1e6 / std::max(fill_rate_, reading);
  return std::max<int64_t>(0, static_cast<int64_t>(allowed_us) - (now_us - empty_at_));
}

}  // namespace capture_shim

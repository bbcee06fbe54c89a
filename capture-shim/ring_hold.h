// How long the capture thread may leave the kernel's ring unread while JS is behind.
//
// When the consumer refuses a batch (its queue toward JS is full) the thread stops reading and
// waits for room, so that the kernel's ring, memory the process holds anyway, absorbs the lag
// instead of payload being shed. It may wait only while the ring surely has room: libpcap gives no
// view of the ring's fill, so it is estimated: what arrived since the thread last found the ring
// empty, at the rate the ring was consumed recently, less what it has read since (the reads between
// waits). The rate is counted conservatively: every packet's frame overhead, and at least a whole
// block per block timeout, since the kernel retires a block that is not full after kBlockTimeoutMs.
// Only a busy ring is waited on, one that filled at least a quarter block per block timeout in a
// window of the last 0.5 s (whose rate then counts) or in the read still going: a rate measured in
// a lull says nothing of the burst after it. The wait ends when
// the estimate reaches half the ring; from then on payload is shed as before (counted). So the ring
// gives JS up to half its size of extra slack, and the kernel drops only if the traffic more than
// doubles during the wait.
#ifndef CAPTURE_SHIM_RING_HOLD_H_
#define CAPTURE_SHIM_RING_HOLD_H_

#include <cstddef>
#include <cstdint>

namespace capture_shim {

// The ring's block as libpcap 1.10 sizes it for TPACKET_V3 at our snap length (docs/performance.md,
// "conns: the ring's blocks"): a smaller block only makes the estimate more conservative.
constexpr uint64_t kRingBlockBytes = 256 << 10;
// A frame's bytes in the ring beyond the captured bytes (tpacket3_hdr, the link header, alignment).
constexpr uint64_t kRingFrameOverheadBytes = 96;

class RingHold {
 public:
  RingHold(uint64_t ring_bytes, int block_timeout_ms);
  // Every packet read.
  void OnPacket(uint32_t caplen) {
    window_bytes_ += caplen + kRingFrameOverheadBytes;
    read_since_empty_ += caplen + kRingFrameOverheadBytes;
  }
  // After a read that found the ring empty, at `now_us` (monotonic).
  void OnRingEmpty(int64_t now_us);
  // Microseconds left, at `now_us`, before the ring may be half full; 0 when no wait is allowed.
  int64_t Remaining(int64_t now_us) const;

 private:
  uint64_t half_ring_bytes_;
  double timeout_rate_;          // a block per block timeout, in bytes per second
  int64_t empty_at_ = -1;        // when the ring was last found empty
  uint64_t read_since_empty_ = 0;
  int64_t window_start_ = -1;
  uint64_t window_bytes_ = 0;
  double peak_rate_ = 0;         // bytes per second: the fastest recent whole window
  int64_t peak_at_ = 0;
  bool busy_ = false;            // a recent window filled blocks faster than the timeout
  double fill_rate_ = 0;         // the estimate since the ring was last found empty
};

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_RING_HOLD_H_

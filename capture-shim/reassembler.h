// Reassembles one direction of a TCP connection into an ordered byte stream.
//
// Contract:
// - Every byte is delivered at most once and in sequence order. Bytes at or before the delivery
//   point (retransmissions) are dropped and counted.
// - Overlaps: the FIRST bytes captured for a sequence position win. Bytes already delivered are never
//   revised, and an out-of-order segment only fills the parts of its range that no held segment
//   covers. (Real stacks differ on overlap policy; first-wins is the one a passive observer can apply
//   consistently, and it matches what the receiving application most often saw.)
// - Sequence numbers are mapped to 64-bit stream offsets relative to the start of the stream, so the
//   32-bit wraparound is invisible past the entry point.
// - Mid-stream pickup: with no SYN seen, the stream starts at the first segment seen.
// - Out-of-order segments are held (copied) until the hole before them fills. A hole is given up on
//   (reported as a gap, and the held bytes after it delivered) when the held bytes would pass the
//   per-direction bound or the global BufferBudget (after the BudgetReclaimer, if any, could not make
//   room by cutting a larger holder), when the hole is older than `hole_timeout_us`
//   of capture time, when the peer acknowledges bytes past it (the receiver got data the capture
//   missed), or when the connection closes.
// - A FIN ahead of the delivery point is provisional: reached in order it ends the stream (nothing
//   after it is delivered); bytes past it or an earlier FIN drop it (counted in fins_ignored), as a
//   receiver drops an out-of-order FIN they overtake. Only the receiver's ACK of it gives up the
//   bytes before it (a gap), or the connection's close: no timeout, since a FIN injected ahead of
//   the stream must not cut what follows it.
// - Bytes the snap length cut off a segment are reported as a gap at their place in the stream.
//
// Single-threaded, like everything in the core.
#ifndef CAPTURE_SHIM_REASSEMBLER_H_
#define CAPTURE_SHIM_REASSEMBLER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace capture_shim {

// One memory budget for the held bytes of every reassembler together. The same budget
// (maxBufferedBytes) also covers what the HTTP core holds: `elsewhere`, when set, is the core's
// figure as the JS thread last reported it, and the reassembly may use only the rest
// (docs/internals.md §6).
class BufferBudget {
 public:
  explicit BufferBudget(uint64_t limit, const std::atomic<uint64_t>* elsewhere = nullptr)
      : limit_(limit), elsewhere_(elsewhere) {}
  bool TryReserve(uint64_t n) {
    if (n > available()) return false;
    used_ += n;
    return true;
  }
  void Release(uint64_t n) { used_ -= n; }
  uint64_t used() const { return used_; }
  // The reassembly's share: the whole budget less what is held elsewhere.
  uint64_t limit() const {
    const uint64_t other = elsewhere_ ? elsewhere_->load(std::memory_order_relaxed) : 0;
    return other >= limit_ ? 0 : limit_ - other;
  }
  // What may still be reserved (0 when the share shrank below what is held).
  uint64_t available() const {
    const uint64_t l = limit();
    return l > used_ ? l - used_ : 0;
  }

 private:
  uint64_t limit_;
  const std::atomic<uint64_t>* elsewhere_;
  uint64_t used_ = 0;
};

struct ReassemblyStats {
  uint64_t bytes_delivered = 0;
  uint64_t bytes_retransmitted = 0;  // at or before the delivery point: already delivered
  uint64_t bytes_duplicate = 0;      // overlapping bytes already held out of order
  uint64_t bytes_out_of_order = 0;   // bytes that had to be held (cumulative)
  uint64_t bytes_gap = 0;            // reported lost
  uint64_t holes_skipped = 0;        // holes given up on
  uint64_t segments_out_of_window = 0;  // absurd sequence numbers, dropped
  uint64_t holders_cut = 0;          // directions made to give up their holes to free the budget
  uint64_t fins_ignored = 0;         // FINs outside the window, behind the stream, or overtaken
};

class Reassembler;

// Frees budget when a reassembler cannot hold a segment: typically by cutting the largest holder.
class BudgetReclaimer {
 public:
  virtual ~BudgetReclaimer() = default;
  // Tries to make `need` bytes of the budget available without touching `requester`.
  // Returns whether they now are.
  virtual bool Reclaim(uint64_t need, const Reassembler* requester) = 0;
};

// Receives the reassembled stream.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // REQUIRES (caller guarantees): len > 0.
  virtual void OnStreamData(const uint8_t* bytes, uint32_t len, int64_t ts) = 0;
  virtual void OnStreamGap(uint64_t lost_bytes, int64_t ts) = 0;
};

struct ReassemblyLimits {
  uint64_t max_held_bytes = 1 << 20;       // per direction
  int64_t hole_timeout_us = 3'000'000;     // of capture time
};

// Shared by all reassemblers of one tracker.
struct ReassemblyContext {
  ReassemblyLimits limits;
  BufferBudget* budget;
  ReassemblyStats* stats;
  BudgetReclaimer* reclaimer = nullptr;  // optional
};

class Reassembler {
 public:
  Reassembler() = default;
  ~Reassembler();
  Reassembler(const Reassembler&) = delete;
  Reassembler& operator=(const Reassembler&) = delete;

  // A SYN from this direction: the stream starts right after it. Ignored once started.
  void OnSyn(uint32_t seq);

  // A segment of this direction: `captured` payload bytes present out of `wire_len` sent.
  // REQUIRES: captured <= wire_len; `data` readable for `captured` bytes.
  void OnSegment(const ReassemblyContext& ctx, uint32_t seq, const uint8_t* data, uint32_t captured,
                 uint32_t wire_len, bool fin, int64_t ts, StreamSink* sink);

  // The peer acknowledged up to `ack`: holes below it will never be retransmitted. Acknowledged bytes
  // past everything captured (a lost tail) are awaited for the hole timeout, then gapped.
  void OnPeerAck(const ReassemblyContext& ctx, uint32_t ack, int64_t ts, StreamSink* sink);

  // Gives up on holes older than the limit (held bytes waiting behind them; not a FIN alone).
  void CheckHoleTimeout(const ReassemblyContext& ctx, int64_t now, StreamSink* sink);

  // Gives up on the first hole: reports it as a gap and delivers what follows it in order.
  void SkipHole(const ReassemblyContext& ctx, int64_t ts, StreamSink* sink);

  // Gives up every hole: delivers everything held, with gaps for the holes.
  void GiveUpHoles(const ReassemblyContext& ctx, int64_t ts, StreamSink* sink);

  // Connection end: delivers everything held, with gaps for the holes (and up to a FIN seen ahead).
  void Flush(const ReassemblyContext& ctx, int64_t ts, StreamSink* sink);

  // Frees held bytes without delivering them (the caller reports them as it sees fit).
  uint64_t Discard(const ReassemblyContext& ctx);

  bool started() const { return started_; }
  bool fin_seen() const { return fin_seen_; }
  // The FIN has been reached in order: the direction is complete.
  bool finished() const { return fin_seen_ && next_ >= fin_offset_; }
  uint64_t held_bytes() const { return held_bytes_; }
  bool has_holes() const { return held_ != nullptr; }
  uint64_t next_offset() const { return next_; }

 private:
  struct Held {
    uint64_t len;                 // stream bytes covered
    bool lost;                    // true: bytes the capture cut; `bytes` is empty
    int64_t ts;
    std::vector<uint8_t> bytes;
  };

  void Start(uint32_t seq);
  // Where the bytes known to exist end when nothing is held: a FIN seen, or the peer's ACK.
  uint64_t TailEnd() const;
  // Signed stream offset of a sequence number, relative to the delivery point.
  int64_t OffsetOf(uint32_t seq) const;
  void Insert(const ReassemblyContext& ctx, uint64_t start, const uint8_t* data, uint64_t len,
              bool lost, int64_t ts);
  void InsertInto(std::map<uint64_t, Held>& held, const ReassemblyContext& ctx, uint64_t start,
                  const uint8_t* data, uint64_t len, bool lost, int64_t ts);
  void Drain(const ReassemblyContext& ctx, int64_t ts, StreamSink* sink);
  void Emit(const ReassemblyContext& ctx, const uint8_t* data, uint64_t len, int64_t ts,
            StreamSink* sink);
  void EmitGap(const ReassemblyContext& ctx, uint64_t len, int64_t ts, StreamSink* sink);

  bool started_ = false;
  bool fin_seen_ = false;
  uint32_t next_seq_ = 0;   // sequence number of stream offset `next_`
  uint64_t next_ = 0;       // stream offset of the next byte to deliver
  uint64_t fin_offset_ = 0;
  uint64_t held_bytes_ = 0;
  int64_t hole_since_ = 0;  // capture time the current first hole started holding data
  uint64_t acked_ = 0;      // the most the peer acknowledged with nothing held (stream offset)
  // By stream offset; ranges never overlap. Allocated only while something is held (null = nothing):
  // a direction that stays in order, which is nearly every one, costs a pointer instead of a map.
  std::unique_ptr<std::map<uint64_t, Held>> held_;
  BufferBudget* budget_ = nullptr;  // where held_bytes_ was reserved
};

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_REASSEMBLER_H_

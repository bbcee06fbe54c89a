// The I/O-free core of the shim: decoded TCP segments in, stream events (docs/internals.md §1) out.
//
// It owns the flow table and every connection's reassemblers, and decides when connections open
// and close. It is driven by capture time only (no clock), so tests replay crafted segments and
// get exactly the events a capture of them would produce.
//
// Events of a connection start with `open`, written lazily just before its first data or gap: a
// connection that never carries payload (a handshake alone, a SYN flood, a port scan) costs a
// table entry and nothing downstream. Close reasons: `fin` when both directions' FINs are reached in
// order, `rst` on a reset, `idle`, `evicted` (table full, or the 4-tuple reused), `shutdown`
// (CloseAll).
//
// Control segments count only where the receiver would take them (receive_window.h): a RST outside
// the receiver's window, a FIN beyond it, and a bare SYN on an established connection are ignored
// and counted (rst_ignored, fins_ignored, syn_ignored). Such a SYN is held until its receiver
// answers: a SYN-ACK for it means the 4-tuple was reused (the old connection's end was missed), so
// the old closes and a new one starts at the SYN; any other answer (RFC 5961's challenge ACK, data)
// means it was ignored. A bare SYN on a free 4-tuple is held the same way: the connection opens but
// its stream is anchored at the SYN only when a SYN-ACK for it, or data right after it, follows;
// otherwise (the receiver still holds the tuple: an idle close or a missed end) the stream is picked
// up mid-stream at its first data, as if the SYN was never seen. A FIN ahead of the stream is held, and dropped if in-order data overtakes it
// (reassembler.h).
//
// After a `fin` or `rst` close the 4-tuple is remembered for a while (kClosedLinger of capture time,
// bounded in number like the table): segments still in flight then (data the client sent before it
// saw the reset, retransmitted FINs) are counted as `packetsAfterClose` instead of starting a
// mid-stream connection of junk. A new SYN starts a new connection at once.
//
// Shedding (live capture, JS behind): while SetShedding(true), in-order bytes are not written but
// added to the connection's pending shed count, which is reported as one gap per direction before
// the connection's next event. New connections announced while the batch is past
// `shed_batch_cap` are suppressed whole (no events at all), so the batch stays bounded however
// long JS stalls.
#ifndef CAPTURE_SHIM_CONNECTION_TRACKER_H_
#define CAPTURE_SHIM_CONNECTION_TRACKER_H_

#include <cstdint>

#include "capture_stats.h"
#include "closed_tuples.h"
#include "event_writer.h"
#include "flow_table.h"
#include "packet_decoder.h"
#include "reassembler.h"

namespace capture_shim {

struct TrackerConfig {
  PortSet ports;                          // empty: every TCP connection
  double sample_rate = 1.0;
  size_t max_connections = 10000;
  int64_t idle_timeout_us = 60'000'000;
  uint64_t max_buffered_bytes = 128ull << 20;
  // Bytes of the same budget held outside the tracker (the HTTP core), or null (BufferBudget).
  const std::atomic<uint64_t>* held_elsewhere = nullptr;
  ReassemblyLimits reassembly;            // per-direction bound, hole timeout
  size_t shed_batch_cap = 4u << 20;       // see the header comment
};

class ConnectionTracker : private BudgetReclaimer {
 public:
  // `out` and `stats` must outlive the tracker.
  ConnectionTracker(const TrackerConfig& config, EventWriter* out, CaptureStats* stats);
  ~ConnectionTracker();
  ConnectionTracker(const ConnectionTracker&) = delete;
  ConnectionTracker& operator=(const ConnectionTracker&) = delete;

  // One decoded segment captured at `ts` (µs since the epoch).
  void OnSegment(const TcpSegment& seg, int64_t ts);
  // Lets capture time pass: idle connections close, stale holes are given up. Cheap when called
  // often (does work at most every sweep interval of capture time).
  void Advance(int64_t now);
  // Closes every connection with reason `shutdown`.
  void CloseAll(int64_t ts);

  void SetShedding(bool on) { shedding_ = on; }
  bool shedding() const { return shedding_; }

  size_t active_connections() const { return table_.size(); }
  uint64_t buffered_bytes() const { return budget_.used(); }

 private:
  class DirectionSink;

  Connection* Create(const TcpSegment& seg, const FlowKey& key, uint64_t hash, bool source_is_lo,
                     int64_t ts);
  // A bare SYN on an established connection: held until its receiver answers.
  void HoldSyn(Connection* c, const TcpSegment& seg, Direction dir, int64_t ts);
  // A segment from the receiver of `c`'s pending SYN: a SYN-ACK for it ends `c` and returns the new
  // connection the SYN started; anything else counts the SYN ignored and returns `c`.
  Connection* AnswerPendingSyn(Connection* c, const TcpSegment& seg, int64_t ts);
  // The receiver took the pending SYN of `c`, which has carried no data: `c` starts at it.
  void TakeOpeningSyn(Connection* c);
  void PublishCounts();
  void Close(Connection* c, CloseReason reason, int64_t ts);
  void CloseIfFinished(Connection* c, int64_t ts);
  void Sweep(int64_t now);
  // Writes `open` if not yet written; false when the connection's events are suppressed.
  bool Announce(Connection* c);
  void WritePendingShed(Connection* c, Direction dir, int64_t ts);
  void WriteData(Connection* c, Direction dir, const uint8_t* bytes, uint32_t len, int64_t ts);
  void WriteGap(Connection* c, Direction dir, uint64_t lost, int64_t ts);
  // BudgetReclaimer: cuts the largest holders (other than the requester) until `need` fits.
  bool Reclaim(uint64_t need, const Reassembler* requester) override;

  TrackerConfig config_;
  EventWriter* out_;
  CaptureStats* stats_;
  BufferBudget budget_;
  ReassemblyContext ctx_;
  FlowTable table_;
  bool shedding_ = false;
  ClosedTuples closed_;  // at most max_connections of them
  int64_t now_ = INT64_MIN;
  int64_t next_sweep_ = INT64_MIN;
  int64_t sweep_interval_us_;
};

// Process-wide connection ids: unique for the life of the process, never 0.
uint64_t NextConnectionId();

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_CONNECTION_TRACKER_H_

// What a passive observer can know of each direction's sequence space, so that control segments are
// honoured only where the receiver would honour them (RFC 9293 §3.10.7.4's window check; RFC 5961):
// a client's raw socket can send a RST, SYN or FIN with any sequence number, and a tracker that
// believed them all would close, restart or cut connections the server kept (docs/internals.md §5).
//
// For a direction D, sender S, receiver R:
// - `ack`: the furthest acknowledgement R sent for D, i.e. R's RCV.NXT as last seen. R expects no
//   less, so a RST below it is one R drops.
// - `right_edge`: the furthest R advertised, ack + (window << R's shift). RFC 9293 §3.8.6.2.2 tells
//   receivers not to shrink the window, so R accepts nothing beyond the furthest edge it announced.
// - `max_end`: the furthest sequence number S reached (seq + length, + 1 for SYN and FIN) with
//   segments inside that edge (a data segment past it cannot move the bounds: it is junk to R too).
// The window shift comes from the SYN and SYN-ACK options (RFC 7323: 0 unless both carry the option).
// With either SYN unseen (mid-stream pickup, a lost SYN) the shift is unknown and taken as 14, the
// largest, so the check never refuses what the receiver might accept; when R has acknowledged
// nothing yet the window is unknown and TCP's largest (2^30) bounds it.
#ifndef CAPTURE_SHIM_RECEIVE_WINDOW_H_
#define CAPTURE_SHIM_RECEIVE_WINDOW_H_

#include <cstdint>

#include "packet_decoder.h"
#include "stream_event_format.h"

namespace capture_shim {

using stream_format::Direction;

class ReceiveWindows {
 public:
  // Learns from a segment sent in `dir` that the tracker accepted: its own sequence numbers, and
  // what its ACK and window say about the other direction.
  void Observe(Direction dir, const TcpSegment& seg);

  // Whether the receiver of `dir` would take a RST with sequence number `seq`: from its RCV.NXT (the
  // latest ACK it sent) to the furthest of its advertised right edge and what the sender reached.
  bool RstAcceptable(Direction dir, uint32_t seq) const;

  // Whether a FIN whose sequence number is `fin_seq` (the segment's seq + payload length) can be the
  // end of `dir`'s stream: not beyond the receiver's window. A FIN far behind is refused too; one
  // shortly behind (a retransmission) is left to the reassembler, which knows what it delivered.
  bool FinAcceptable(Direction dir, uint32_t fin_seq) const;

 private:
  struct View {
    bool seen = false;        // the sender's SYN or a segment of it was observed
    bool acked = false;       // the receiver has acknowledged something of this direction
    bool edge_known = false;  // ... and so advertised a window
    int8_t syn_scale = kNoSyn;  // the sender's SYN: its window-scale option, -1 without
    uint32_t max_end = 0;
    uint32_t ack = 0;
    uint32_t right_edge = 0;
  };
  static constexpr int8_t kNoSyn = -2;

  // The window shift of the receiver of `dir`'s peer direction, i.e. of segments sent in `dir`.
  int ShiftOfSender(Direction dir) const;
  // [lo, hi] of sequence numbers the receiver of `dir` may be expecting up to its window's end.
  void Bounds(const View& v, uint32_t* lo, uint32_t* hi) const;

  View views_[2];  // by Direction
};

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_RECEIVE_WINDOW_H_

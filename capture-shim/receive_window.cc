#include "receive_window.h"

namespace capture_shim {
namespace {

// TCP's largest window (65535 << 14): the bound when the receiver has advertised none yet.
constexpr uint32_t kMaxWindow = uint32_t{1} << 30;
constexpr int kMaxShift = 14;

int Index(Direction d) { return static_cast<int>(d); }

Direction Other(Direction d) {
  return d == Direction::kClientToServer ? Direction::kServerToClient : Direction::kClientToServer;
}

// Sequence-space order (RFC 9293 §3.4): a is after b.
bool After(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

// Whether `x` lies in the wrapping range [lo, hi] (hi at most 2^31 after lo).
bool Within(uint32_t x, uint32_t lo, uint32_t hi) { return x - lo <= hi - lo; }

}  // namespace

int ReceiveWindows::ShiftOfSender(Direction dir) const {
  int8_t mine = views_[Index(dir)].syn_scale;
  int8_t theirs = views_[Index(Other(dir))].syn_scale;
  if (mine == kNoSyn || theirs == kNoSyn) return kMaxShift;  // unknown: assume the largest
  if (mine < 0 || theirs < 0) return 0;  // RFC 7323 §2.2: scaling only when both SYNs offer it
  return mine;
}

void ReceiveWindows::Bounds(const View& v, uint32_t* lo, uint32_t* hi) const {
  if (!v.edge_known) {  // the receiver has sent no ACK: nothing but TCP's limits to go by
    *lo = v.max_end - kMaxWindow;
    *hi = v.max_end + kMaxWindow;
    return;
  }
  *lo = v.ack;
  *hi = After(v.right_edge, v.max_end) ? v.right_edge : v.max_end;
  if (*hi - *lo > kMaxWindow * 2) *hi = *lo + kMaxWindow * 2;  // keep the range unambiguous
}

void ReceiveWindows::Observe(Direction dir, const TcpSegment& seg) {
  View& mine = views_[Index(dir)];
  View& peer = views_[Index(Other(dir))];
  bool syn = seg.flags & kTcpSyn;
  if (syn && mine.syn_scale == kNoSyn) mine.syn_scale = seg.window_scale;  // the first SYN's word
  uint32_t end = seg.seq + seg.wire_len + (syn ? 1 : 0) + ((seg.flags & kTcpFin) ? 1 : 0);
  if (!mine.seen) {
    mine.seen = true;
    mine.max_end = end;
  } else if (After(end, mine.max_end)) {
    uint32_t lo, hi;
    Bounds(mine, &lo, &hi);
    if (!After(end, hi)) mine.max_end = end;
  }
  if (!(seg.flags & kTcpAck)) return;
  if (!peer.acked || After(seg.ack, peer.ack)) {
    peer.acked = true;
    peer.ack = seg.ack;
  }
  // The window of a SYN is never scaled (RFC 7323 §2.2).
  int shift = syn ? 0 : ShiftOfSender(dir);
  uint32_t edge = seg.ack + (uint32_t{seg.window} << shift);
  if (!peer.edge_known || After(edge, peer.right_edge)) {
    peer.edge_known = true;
    peer.right_edge = edge;
  }
}

bool ReceiveWindows::RstAcceptable(Direction dir, uint32_t seq) const {
  const View& v = views_[Index(dir)];
  if (!v.seen) return true;  // nothing known of this sequence space: no ground to refuse
  uint32_t lo, hi;
  Bounds(v, &lo, &hi);
  return Within(seq, lo, hi);
}

bool ReceiveWindows::FinAcceptable(Direction dir, uint32_t fin_seq) const {
  const View& v = views_[Index(dir)];
  if (!v.seen) return true;
  uint32_t lo, hi;
  Bounds(v, &lo, &hi);
  return Within(fin_seq, lo - kMaxWindow, hi);
}

}  // namespace capture_shim

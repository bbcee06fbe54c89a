#include "reassembler.h"

#include <algorithm>
#include <iterator>

namespace capture_shim {
namespace {

// The largest window TCP can advertise (65535 << 14). A segment further ahead than that is not
// part of this stream's future: it is garbage or another incarnation of the 4-tuple.
constexpr int64_t kMaxForwardJump = int64_t{1} << 30;
// What a held range costs beyond its bytes (map node, vector header); charged so that a flood of
// tiny out-of-order segments is bounded by the same budget as large ones.
constexpr uint64_t kHeldRangeOverhead = 96;

}  // namespace

Reassembler::~Reassembler() {
  if (budget_ != nullptr) budget_->Release(held_bytes_);
}

void Reassembler::Start(uint32_t seq) {
  started_ = true;
  next_seq_ = seq;
  next_ = 0;
}

void Reassembler::OnSyn(uint32_t seq) {
  if (!started_) Start(seq + 1);
}

uint64_t Reassembler::TailEnd() const {
  return std::max(fin_seen_ ? fin_offset_ : 0, acked_);
}

int64_t Reassembler::OffsetOf(uint32_t seq) const {
  return static_cast<int32_t>(seq - next_seq_);
}

void Reassembler::Emit(const ReassemblyContext& ctx, const uint8_t* data, uint64_t len, int64_t ts,
                       StreamSink* sink) {
  if (len == 0) return;
  sink->OnStreamData(data, static_cast<uint32_t>(len), ts);
  next_ += len;
  next_seq_ += static_cast<uint32_t>(len);
  ctx.stats->bytes_delivered += len;
}

void Reassembler::EmitGap(const ReassemblyContext& ctx, uint64_t len, int64_t ts,
                          StreamSink* sink) {
  if (len == 0) return;
  sink->OnStreamGap(len, ts);
  next_ += len;
  next_seq_ += static_cast<uint32_t>(len);
  ctx.stats->bytes_gap += len;
}

void Reassembler::OnSegment(const ReassemblyContext& ctx, uint32_t seq, const uint8_t* data,
                            uint32_t captured, uint32_t wire_len, bool fin, int64_t ts,
                            StreamSink* sink) {
  if (!started_) Start(seq);
  for (;;) {
    // Positions relative to the delivery point: [s, ce) captured bytes, [ce, e) bytes cut off.
    int64_t s = OffsetOf(seq);
    if (s > kMaxForwardJump) {
      ++ctx.stats->segments_out_of_window;
      return;
    }
    int64_t ce = s + captured;
    int64_t e = s + wire_len;
    if (fin_seen_) {
      int64_t limit = static_cast<int64_t>(fin_offset_ - std::min(fin_offset_, next_));
      if (limit > 0 && (e > limit || (fin && e >= 0 && e < limit))) {
        // A FIN not yet reached is provisional. Bytes past it, or a FIN before it, show it was not
        // the end (an injected one, typically): a receiver drops an out-of-order FIN that in-order
        // data or an earlier FIN overtakes.
        fin_seen_ = false;
        ++ctx.stats->fins_ignored;
      } else {  // past a FIN reached in order nothing belongs to the stream
        e = std::min(e, limit);
        ce = std::min(ce, e);
      }
    }
    if (fin && !fin_seen_) {
      if (e >= 0) {
        fin_seen_ = true;
        fin_offset_ = next_ + static_cast<uint64_t>(e);
      } else {
        ++ctx.stats->fins_ignored;  // bytes past it were delivered: it is no end of this stream
      }
    }
    if (e <= 0) {
      if (e > s) ctx.stats->bytes_retransmitted += static_cast<uint64_t>(e - s);
      return;
    }
    int64_t cs = std::max<int64_t>(s, 0);
    if (s < 0) ctx.stats->bytes_retransmitted += static_cast<uint64_t>(-s);
    const uint8_t* from = data + std::min<int64_t>(cs - s, captured);
    uint64_t captured_len = ce > cs ? static_cast<uint64_t>(ce - cs) : 0;
    int64_t lost_from = std::max(cs, ce);

    if (!held_ && cs == 0) {  // the common case: in order, nothing held
      Emit(ctx, from, captured_len, ts, sink);
      EmitGap(ctx, static_cast<uint64_t>(e - lost_from), ts, sink);
      return;
    }

    uint64_t need = captured_len + 2 * kHeldRangeOverhead;
    bool fits = held_bytes_ + need <= ctx.limits.max_held_bytes;
    if (fits && need > ctx.budget->available()) {
      fits = ctx.reclaimer != nullptr && ctx.reclaimer->Reclaim(need, this);
    }
    if (fits) {
      if (cs > 0) ctx.stats->bytes_out_of_order += captured_len;
      Insert(ctx, next_ + static_cast<uint64_t>(cs), from, captured_len, false, ts);
      if (e > lost_from) {
        Insert(ctx, next_ + static_cast<uint64_t>(lost_from), nullptr,
               static_cast<uint64_t>(e - lost_from), true, ts);
      }
      Drain(ctx, ts, sink);
      return;
    }
    if (!held_) {
      // Too big to hold even alone: the hole before it will not be waited for.
      ++ctx.stats->holes_skipped;
      EmitGap(ctx, static_cast<uint64_t>(cs), ts, sink);
    } else {
      SkipHole(ctx, ts, sink);
    }
  }
}

void Reassembler::Insert(const ReassemblyContext& ctx, uint64_t start, const uint8_t* data,
                         uint64_t len, bool lost, int64_t ts) {
  if (len == 0) return;
  if (!held_) {
    held_ = std::make_unique<std::map<uint64_t, Held>>();
    hole_since_ = ts;
  }
  InsertInto(*held_, ctx, start, data, len, lost, ts);
  if (held_->empty()) held_.reset();  // the budget took nothing
}

void Reassembler::InsertInto(std::map<uint64_t, Held>& held, const ReassemblyContext& ctx,
                             uint64_t start, const uint8_t* data, uint64_t len, bool lost,
                             int64_t ts) {
  uint64_t end = start + len;
  uint64_t cur = start;
  auto it = held.upper_bound(cur);
  if (it != held.begin()) {
    auto prev = std::prev(it);
    uint64_t prev_end = prev->first + prev->second.len;
    if (prev_end > cur) {
      if (!lost) ctx.stats->bytes_duplicate += std::min(prev_end, end) - cur;
      cur = std::min(prev_end, end);
    }
  }
  while (cur < end) {
    uint64_t stop = it == held.end() ? end : std::min(end, it->first);
    if (stop > cur) {
      uint64_t cost = (lost ? 0 : stop - cur) + kHeldRangeOverhead;
      if (!ctx.budget->TryReserve(cost)) return;  // the rest stays a hole; it will be gapped
      budget_ = ctx.budget;
      held_bytes_ += cost;
      Held piece{stop - cur, lost, ts, {}};
      if (!lost) piece.bytes.assign(data + (cur - start), data + (stop - start));
      held.emplace_hint(it, cur, std::move(piece));
    }
    if (it == held.end() || it->first >= end) break;
    uint64_t it_end = it->first + it->second.len;
    if (!lost) ctx.stats->bytes_duplicate += std::min(it_end, end) - it->first;
    cur = it_end;
    ++it;
  }
}

void Reassembler::Drain(const ReassemblyContext& ctx, int64_t ts, StreamSink* sink) {
  while (held_) {
    auto it = held_->begin();
    if (it->first > next_) break;
    Held& h = it->second;
    uint64_t end = it->first + h.len;
    if (end > next_) {
      uint64_t skip = next_ - it->first;
      if (h.lost) {
        EmitGap(ctx, end - next_, h.ts, sink);
      } else {
        Emit(ctx, h.bytes.data() + skip, end - next_, h.ts, sink);
      }
    }
    uint64_t cost = (h.lost ? 0 : h.len) + kHeldRangeOverhead;
    held_bytes_ -= cost;
    ctx.budget->Release(cost);
    held_->erase(it);
    if (held_->empty()) held_.reset();
  }
  if (held_) hole_since_ = ts;  // a new hole starts being waited for now
}

void Reassembler::SkipHole(const ReassemblyContext& ctx, int64_t ts, StreamSink* sink) {
  if (!held_) return;
  ++ctx.stats->holes_skipped;
  EmitGap(ctx, held_->begin()->first - next_, ts, sink);
  Drain(ctx, ts, sink);
}

void Reassembler::OnPeerAck(const ReassemblyContext& ctx, uint32_t ack, int64_t ts,
                            StreamSink* sink) {
  if (!started_) return;  // no byte of this direction seen: nothing to place the ACK against
  int64_t rel = OffsetOf(ack);
  if (rel <= 0 || rel > kMaxForwardJump) return;
  uint64_t acked = next_ + static_cast<uint64_t>(rel);
  if (!held_) {
    if (fin_seen_ && next_ < fin_offset_ && acked > fin_offset_) {
      // The FIN seen ahead is acknowledged itself (the ACK is one past it): the receiver got it and
      // every byte before it. Only the receiver's word, or the close, ends a wait for a FIN: a
      // timeout would let a FIN injected ahead of the stream cut what follows it.
      ++ctx.stats->holes_skipped;
      EmitGap(ctx, fin_offset_ - next_, ts, sink);
      return;
    }
    // The receiver has bytes the capture has not seen, and nothing was captured after them: a lost
    // tail, or data captured after its ACK (queues merged by the `any` device). Awaited like a
    // hole, so late data is delivered, and gapped at the hole timeout or at the end.
    if (fin_seen_) acked = std::min(acked, fin_offset_);  // the FIN's own sequence number is no byte
    if (acked > acked_) {
      if (acked_ <= next_) hole_since_ = ts;
      acked_ = acked;
    }
    return;
  }
  while (held_ && next_ < acked) {
    if (held_->begin()->first <= acked) {
      SkipHole(ctx, ts, sink);
    } else {
      // The receiver has [next_, acked) although the capture never saw it; the rest of the hole
      // may still arrive.
      ++ctx.stats->holes_skipped;
      EmitGap(ctx, acked - next_, ts, sink);
    }
  }
  // The holes given up, a FIN seen ahead and acknowledged ends the wait as above.
  if (!held_ && fin_seen_ && next_ < fin_offset_ && acked > fin_offset_) {
    ++ctx.stats->holes_skipped;
    EmitGap(ctx, fin_offset_ - next_, ts, sink);
  }
}

void Reassembler::CheckHoleTimeout(const ReassemblyContext& ctx, int64_t now, StreamSink* sink) {
  if (now - hole_since_ <= ctx.limits.hole_timeout_us) return;
  if (held_) {
    SkipHole(ctx, now, sink);
  } else if (acked_ > next_) {
    // Bytes the receiver acknowledged never came. A FIN seen ahead alone is not enough: it may be
    // injected, and timing it out would cut the real bytes that follow it.
    ++ctx.stats->holes_skipped;
    EmitGap(ctx, acked_ - next_, now, sink);
  }
}

void Reassembler::GiveUpHoles(const ReassemblyContext& ctx, int64_t ts, StreamSink* sink) {
  while (held_) SkipHole(ctx, ts, sink);
}

void Reassembler::Flush(const ReassemblyContext& ctx, int64_t ts, StreamSink* sink) {
  GiveUpHoles(ctx, ts, sink);
  if (TailEnd() > next_) EmitGap(ctx, TailEnd() - next_, ts, sink);
}

uint64_t Reassembler::Discard(const ReassemblyContext& ctx) {
  uint64_t bytes = 0;
  if (held_) {
    for (auto& [start, h] : *held_) {
      if (!h.lost) bytes += h.len;
    }
  }
  ctx.budget->Release(held_bytes_);
  held_bytes_ = 0;
  held_.reset();
  return bytes;
}

}  // namespace capture_shim

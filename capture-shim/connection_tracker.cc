#include "connection_tracker.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

namespace capture_shim {

uint64_t NextConnectionId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// Routes one direction's reassembled stream into the tracker's writer.
class ConnectionTracker::DirectionSink : public StreamSink {
 public:
  DirectionSink(ConnectionTracker* t, Connection* c, Direction d) : t_(t), c_(c), d_(d) {}
  void OnStreamData(const uint8_t* bytes, uint32_t len, int64_t ts) override {
    t_->WriteData(c_, d_, bytes, len, ts);
  }
  void OnStreamGap(uint64_t lost, int64_t ts) override { t_->WriteGap(c_, d_, lost, ts); }

 private:
  ConnectionTracker* t_;
  Connection* c_;
  Direction d_;
};

namespace {

Direction Other(Direction d) {
  return d == Direction::kClientToServer ? Direction::kServerToClient : Direction::kClientToServer;
}

int Index(Direction d) { return static_cast<int>(d); }

// How long a 4-tuple closed by FIN or RST keeps its stragglers from starting a new connection.
constexpr int64_t kClosedLingerUs = 10'000'000;

}  // namespace

ConnectionTracker::ConnectionTracker(const TrackerConfig& config, EventWriter* out,
                                     CaptureStats* stats)
    : config_(config),
      out_(out),
      stats_(stats),
      budget_(config.max_buffered_bytes, config.held_elsewhere),
      ctx_{config.reassembly, &budget_, &stats->reassembly, this},
      table_(config.max_connections),
      closed_(config.max_connections) {
  int64_t interval = std::min<int64_t>(1'000'000, config.idle_timeout_us / 4);
  interval = std::min<int64_t>(interval, config.reassembly.hole_timeout_us / 2);
  sweep_interval_us_ = std::max<int64_t>(1000, interval);
}

ConnectionTracker::~ConnectionTracker() = default;

void ConnectionTracker::OnSegment(const TcpSegment& seg, int64_t ts) {
  if (!config_.ports.Matches(seg.src_port, seg.dst_port)) {
    ++stats_->packets_other_ports;
    return;
  }
  Advance(ts);
  bool source_is_lo;
  FlowKey key = MakeFlowKey(seg, &source_is_lo);
  const uint64_t hash = SymmetricFlowHash(key);  // once: the table, sampling and closed tuples
  bool syn = seg.flags & kTcpSyn;
  bool ack = seg.flags & kTcpAck;
  bool rst = seg.flags & kTcpRst;
  bool fin = seg.flags & kTcpFin;

  bool bare_syn = syn && !ack && !rst;
  Connection* c = table_.Find(key, hash);
  if (c != nullptr && c->pending_syn && c->DirectionOf(source_is_lo) != c->pending_syn->dir) {
    c = AnswerPendingSyn(c, seg, ts);
  }
  if (c == nullptr) {
    if (!IsSampledHash(hash, config_.sample_rate)) {
      ++stats_->packets_unsampled;
      if (syn && !ack && !rst) ++stats_->connections_unsampled;
      return;
    }
    // Only a SYN or payload starts tracking: the trailing ACKs and FINs of a connection just closed
    // (or never seen) must not resurrect it.
    if (rst || (!syn && seg.wire_len == 0)) {
      ++stats_->packets_without_connection;
      return;
    }
    if (!(syn && !ack) && closed_.ClosedSince(key, hash, ts - kClosedLingerUs)) {
      ++stats_->packets_after_close;
      return;
    }
    c = Create(seg, key, hash, source_is_lo, ts);
  }
  Direction dir = c->DirectionOf(source_is_lo);
  // A bare SYN restarts nothing on a connection that carried data, and anchors a stream not yet
  // started only once its receiver takes it: a SYN on a tuple the receiver still holds (after an
  // idle close, a missed end) gets a challenge ACK. Data in a SYN (TFO) is taken as before.
  if (bare_syn && (c->established || c->pending_syn ||
                   (seg.wire_len == 0 && !c->dirs[Index(dir)].started()))) {
    HoldSyn(c, seg, dir, ts);
    PublishCounts();
    return;
  }
  // Before any answer the SYN's sender can send nothing but the byte after it: data there means the
  // SYN-ACK was missed, and the SYN holds; data elsewhere starts the stream mid-stream, below.
  if (c->pending_syn && !c->established && c->pending_syn->dir == dir && !syn &&
      seg.wire_len > 0 && seg.seq == c->pending_syn->syn.seq + 1) {
    TakeOpeningSyn(c);
  }
  uint32_t seq = syn ? seg.seq + 1 : seg.seq;  // the SYN takes one sequence number; TFO data follows
  // RST and FIN only where the receiver would take them (receive_window.h); the whole segment is
  // dropped otherwise, as the receiver drops it.
  if (rst && !c->windows.RstAcceptable(dir, seg.seq)) {
    ++stats_->rst_ignored;
    PublishCounts();
    return;
  }
  if (fin && !rst && !c->windows.FinAcceptable(dir, seq + seg.wire_len)) {
    ++stats_->reassembly.fins_ignored;
    PublishCounts();
    return;
  }
  table_.Touch(c, ts);
  if (rst) {
    Close(c, CloseReason::kRst, ts);
  } else {
    c->windows.Observe(dir, seg);
    Reassembler& mine = c->dirs[Index(dir)];
    if (syn) mine.OnSyn(seg.seq);
    if (seg.wire_len > 0 || fin) {
      DirectionSink sink(this, c, dir);
      mine.OnSegment(ctx_, seq, seg.payload, seg.payload_len, seg.wire_len, fin, ts, &sink);
    }
    if (seg.wire_len > 0) table_.MarkEstablished(c);
    Reassembler& peer = c->dirs[Index(Other(dir))];
    if (ack && peer.started()) {
      DirectionSink sink(this, c, Other(dir));
      peer.OnPeerAck(ctx_, seg.ack, ts, &sink);
    }
    CloseIfFinished(c, ts);
  }
  PublishCounts();
}

void ConnectionTracker::PublishCounts() {
  stats_->connections_active = table_.size();
  stats_->buffered_bytes = budget_.used();
}

void ConnectionTracker::HoldSyn(Connection* c, const TcpSegment& seg, Direction dir, int64_t ts) {
  // RFC 5961 §4: a synchronized receiver answers any SYN with an ACK and keeps the connection, so a
  // SYN alone restarts nothing; its receiver's answer decides (AnswerPendingSyn).
  PendingSyn* p = c->pending_syn.get();
  if (p != nullptr && p->dir == dir && p->syn.seq == seg.seq) {
    ++p->copies;
    return;
  }
  if (p != nullptr) stats_->syn_ignored += p->copies;  // superseded before any answer
  c->pending_syn = std::make_unique<PendingSyn>(PendingSyn{seg, dir, ts, 1});
  c->pending_syn->syn.payload = nullptr;
  c->pending_syn->syn.payload_len = c->pending_syn->syn.wire_len = 0;
}

Connection* ConnectionTracker::AnswerPendingSyn(Connection* c, const TcpSegment& seg, int64_t ts) {
  std::unique_ptr<PendingSyn> p = std::move(c->pending_syn);
  bool syn_ack = (seg.flags & (kTcpSyn | kTcpAck | kTcpRst)) == (kTcpSyn | kTcpAck);
  if (!syn_ack || seg.ack != p->syn.seq + 1) {
    stats_->syn_ignored += p->copies;  // the receiver kept the connection (a challenge ACK, data...)
    return c;
  }
  if (!c->established) {  // the SYN that opened `c` (or one before any data): `c` starts at it
    c->pending_syn = std::move(p);
    TakeOpeningSyn(c);
    return c;
  }
  // The receiver took the SYN as a new connection: the old one ended without our seeing it (its FIN
  // or RST was lost, or it sat in TIME_WAIT). The new one starts at the SYN, as if just seen.
  bool fin_seen = c->dirs[0].fin_seen() || c->dirs[1].fin_seen();
  FlowKey key = c->key;
  const uint64_t hash = c->hash();
  Close(c, fin_seen ? CloseReason::kFin : CloseReason::kEvicted, ts);
  if (!fin_seen) ++stats_->connections_evicted;
  bool syn_is_lo;
  MakeFlowKey(p->syn, &syn_is_lo);
  Connection* fresh = Create(p->syn, key, hash, syn_is_lo, p->ts);
  Direction dir = fresh->DirectionOf(syn_is_lo);
  fresh->windows.Observe(dir, p->syn);
  fresh->dirs[Index(dir)].OnSyn(p->syn.seq);
  return fresh;
}

void ConnectionTracker::TakeOpeningSyn(Connection* c) {
  std::unique_ptr<PendingSyn> p = std::move(c->pending_syn);
  c->windows.Observe(p->dir, p->syn);
  c->dirs[Index(p->dir)].OnSyn(p->syn.seq);
}

Connection* ConnectionTracker::Create(const TcpSegment& seg, const FlowKey& key, uint64_t hash,
                                      bool source_is_lo, int64_t ts) {
  if (table_.full()) {
    ++stats_->connections_evicted;
    Close(table_.EvictionCandidate(), CloseReason::kEvicted, ts);
  }
  Connection* c = table_.Insert(key, hash, ts);
  c->id = NextConnectionId();
  bool sender_is_server = SenderIsServer(seg, config_.ports);
  c->client_is_lo = sender_is_server ? !source_is_lo : source_is_lo;
  const uint8_t* client_addr = sender_is_server ? seg.dst_addr : seg.src_addr;
  const uint8_t* server_addr = sender_is_server ? seg.src_addr : seg.dst_addr;
  std::memcpy(c->client.addr, client_addr, 16);
  std::memcpy(c->server.addr, server_addr, 16);
  c->client.port = sender_is_server ? seg.dst_port : seg.src_port;
  c->server.port = sender_is_server ? seg.src_port : seg.dst_port;
  ++stats_->connections_tracked;
  return c;
}

bool ConnectionTracker::Announce(Connection* c) {
  if (c->announced) return true;
  if (c->suppressed) return false;
  if (shedding_ && out_->size() >= config_.shed_batch_cap) {
    c->suppressed = true;
    ++stats_->connections_shed;
    return false;
  }
  out_->Open(c->id, c->key.ip_version, c->client, c->server, c->first_ts, true);
  c->announced = true;
  return true;
}

void ConnectionTracker::WritePendingShed(Connection* c, Direction dir, int64_t ts) {
  uint64_t& pending = c->pending_shed[Index(dir)];
  if (pending == 0) return;
  if (Announce(c)) out_->Gap(c->id, dir, pending, ts);
  pending = 0;
}

void ConnectionTracker::WriteData(Connection* c, Direction dir, const uint8_t* bytes, uint32_t len,
                                  int64_t ts) {
  if (shedding_ || c->suppressed) {
    c->pending_shed[Index(dir)] += len;
    stats_->bytes_shed += len;
    return;
  }
  if (!Announce(c)) return;
  WritePendingShed(c, dir, ts);
  out_->Data(c->id, dir, bytes, len, ts);
}

void ConnectionTracker::WriteGap(Connection* c, Direction dir, uint64_t lost, int64_t ts) {
  c->pending_shed[Index(dir)] += lost;  // merged with any shed bytes: one gap either way
  if (shedding_ || c->suppressed) return;
  WritePendingShed(c, dir, ts);
}

bool ConnectionTracker::Reclaim(uint64_t need, const Reassembler* requester) {
  // One pass over the table per holder cut: O(connections), paid only when the budget is full, and
  // each cut frees a whole holder.
  while (need > budget_.available()) {
    Connection* victim = nullptr;
    int victim_dir = 0;
    uint64_t largest = 0;
    table_.ForEach([&](Connection* c) {
      for (int d = 0; d < 2; ++d) {
        if (&c->dirs[d] != requester && c->dirs[d].held_bytes() > largest) {
          largest = c->dirs[d].held_bytes();
          victim = c;
          victim_dir = d;
        }
      }
    });
    // The requester itself is the largest holder (or nobody else holds anything): it is the one
    // to cut, which its caller does.
    if (victim == nullptr || largest < requester->held_bytes()) return false;
    ++stats_->reassembly.holders_cut;
    DirectionSink sink(this, victim, static_cast<Direction>(victim_dir));
    victim->dirs[victim_dir].GiveUpHoles(ctx_, now_ == INT64_MIN ? 0 : now_, &sink);
  }
  return true;
}

void ConnectionTracker::Close(Connection* c, CloseReason reason, int64_t ts) {
  for (Direction d : {Direction::kClientToServer, Direction::kServerToClient}) {
    DirectionSink sink(this, c, d);
    c->dirs[Index(d)].Flush(ctx_, ts, &sink);
  }
  // The end of the connection is reported even while shedding: the batch holds at most one close
  // (and two gaps) per table entry.
  for (Direction d : {Direction::kClientToServer, Direction::kServerToClient}) {
    if (!c->suppressed) WritePendingShed(c, d, ts);
  }
  if (c->announced) out_->Close(c->id, reason, ts);
  if (c->pending_syn) stats_->syn_ignored += c->pending_syn->copies;  // never answered
  if (reason == CloseReason::kFin || reason == CloseReason::kRst) {
    closed_.Remember(c->key, c->hash(), ts);
  }
  table_.Remove(c);
}

void ConnectionTracker::CloseIfFinished(Connection* c, int64_t ts) {
  if (c->dirs[0].finished() && c->dirs[1].finished()) Close(c, CloseReason::kFin, ts);
}

void ConnectionTracker::Advance(int64_t now) {
  if (now > now_) now_ = now;
  if (now_ < next_sweep_) return;
  Sweep(now_);
  next_sweep_ = now_ + sweep_interval_us_;
  PublishCounts();
}

void ConnectionTracker::Sweep(int64_t now) {
  while (Connection* c = table_.IdleCandidate(now - config_.idle_timeout_us)) {
    ++stats_->connections_idle_closed;
    Close(c, CloseReason::kIdle, now);
  }
  std::vector<Connection*> finished;
  table_.ForEach([&](Connection* c) {
    for (Direction d : {Direction::kClientToServer, Direction::kServerToClient}) {
      DirectionSink sink(this, c, d);
      c->dirs[Index(d)].CheckHoleTimeout(ctx_, now, &sink);
    }
    if (c->dirs[0].finished() && c->dirs[1].finished()) finished.push_back(c);
  });
  for (Connection* c : finished) Close(c, CloseReason::kFin, now);
}

void ConnectionTracker::CloseAll(int64_t ts) {
  std::vector<Connection*> all;
  all.reserve(table_.size());
  table_.ForEach([&](Connection* c) { all.push_back(c); });
  // Oldest first, so the events keep a stable, meaningful order.
  std::sort(all.begin(), all.end(), [](Connection* a, Connection* b) { return a->id < b->id; });
  for (Connection* c : all) Close(c, CloseReason::kShutdown, ts);
  stats_->connections_active = 0;
  stats_->buffered_bytes = budget_.used();
}

}  // namespace capture_shim

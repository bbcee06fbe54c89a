#include "flow_table.h"

#include <sys/random.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <random>
#include <utility>

#include "memory_pages.h"

namespace capture_shim {
namespace {

uint64_t Mix(uint64_t h) {  // a 64-bit finaliser (splitmix64's): every input bit moves every output bit
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

uint64_t HashBytes(uint64_t h, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t word = 0;
    std::memcpy(&word, p + i, std::min<size_t>(8, n - i));
    h = Mix(h ^ word);
  }
  return h;
}

// The slab is made resident this far ahead of the objects in use (about 200 connections).
constexpr size_t kSlabChunkBytes = 64 << 10;

uint64_t DrawSeed() {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) == sizeof seed) return seed;
  // No getrandom (an old kernel or a seccomp filter): random_device reads the same kernel source
  // through /dev/urandom, or the CPU's generator.
  std::random_device rd;
  return uint64_t{rd()} << 32 | rd();
}

}  // namespace

uint64_t NewFlowHashSeed() { return DrawSeed(); }

uint64_t FlowHashSeed() {
  static const uint64_t seed = DrawSeed();  // thread-safe initialisation, once per process
  return seed;
}

bool FlowKey::operator==(const FlowKey& o) const {
  return ip_version == o.ip_version && port_lo == o.port_lo && port_hi == o.port_hi &&
         std::memcmp(addr_lo, o.addr_lo, 16) == 0 && std::memcmp(addr_hi, o.addr_hi, 16) == 0;
}

uint64_t SymmetricFlowHash(const FlowKey& k) { return SymmetricFlowHash(k, FlowHashSeed()); }

uint64_t SymmetricFlowHash(const FlowKey& k, uint64_t seed) {
  // The key is already canonical (order-independent), so hashing it in order is symmetric. The seed
  // goes in first and is mixed through every word, so without it nobody can predict which tuples
  // sampling keeps or which collide in the table.
  uint64_t h = Mix(seed ^ 0x9e3779b97f4a7c15ULL) ^ k.ip_version;
  h = HashBytes(h, k.addr_lo, 16);
  h = HashBytes(h, k.addr_hi, 16);
  return Mix(h ^ (uint64_t{k.port_lo} << 16 | k.port_hi));
}

FlowKey MakeFlowKey(const TcpSegment& seg, bool* source_is_lo) {
  FlowKey k;
  k.ip_version = seg.ip_version;
  int cmp = std::memcmp(seg.src_addr, seg.dst_addr, 16);
  bool src_lo = cmp < 0 || (cmp == 0 && seg.src_port <= seg.dst_port);
  const uint8_t* lo_addr = src_lo ? seg.src_addr : seg.dst_addr;
  const uint8_t* hi_addr = src_lo ? seg.dst_addr : seg.src_addr;
  std::memcpy(k.addr_lo, lo_addr, 16);
  std::memcpy(k.addr_hi, hi_addr, 16);
  k.port_lo = src_lo ? seg.src_port : seg.dst_port;
  k.port_hi = src_lo ? seg.dst_port : seg.src_port;
  *source_is_lo = src_lo;
  return k;
}

bool IsSampled(const FlowKey& key, double sample_rate) {
  if (sample_rate >= 1.0) return true;
  return IsSampledHash(SymmetricFlowHash(key), sample_rate);
}

bool IsSampledHash(uint64_t hash, double sample_rate) {
  if (sample_rate >= 1.0) return true;
  if (!(sample_rate > 0.0)) return false;
  // The top 53 bits as a uniform fraction in [0, 1) (the index uses the low bits).
  double u = static_cast<double>(hash >> 11) * 0x1.0p-53;
  return u < sample_rate;
}

bool SenderIsServer(const TcpSegment& first, const PortSet& ports) {
  if (!ports.empty()) {
    bool src_in = ports.Contains(first.src_port);
    bool dst_in = ports.Contains(first.dst_port);
    if (src_in != dst_in) return src_in;
  }
  bool syn = first.flags & kTcpSyn;
  bool ack = first.flags & kTcpAck;
  if (syn) return ack;  // a SYN-ACK is the server answering; a bare SYN is the client asking
  return first.src_port < first.dst_port;
}

FlowTable::FlowTable(size_t max_connections) : max_connections_(std::max<size_t>(1, max_connections)) {}

FlowTable::~FlowTable() {
  for (size_t i = 0; i < slab_used_; ++i) slab_[i].~Connection();
  if (slab_ != nullptr) UnmapPages(slab_, slab_bytes_);
}

Connection* FlowTable::NewConnection() {
  if (Connection* c = spare_) {
    spare_ = std::exchange(c->newer_, nullptr);
    --spares_;
    return c;
  }
  if (slab_ == nullptr) {
    slab_bytes_ = RoundUpToPage(max_connections_ * sizeof(Connection));
    slab_ = static_cast<Connection*>(MapPages(slab_bytes_));
  }
  const size_t end = (slab_used_ + 1) * sizeof(Connection);  // REQUIRES of Insert: not full
  if (end > slab_resident_) {
    size_t to = std::min(slab_bytes_, RoundUpToPage(end + kSlabChunkBytes));
    // When it cannot, the pages fault in as the objects are constructed.
    PopulatePages(reinterpret_cast<uint8_t*>(slab_) + slab_resident_, to - slab_resident_);
    slab_resident_ = to;
  }
  return new (&slab_[slab_used_++]) Connection();
}

Connection* FlowTable::Find(const FlowKey& key, uint64_t hash) const {
  return index_.Find(hash, [&key](const Connection& c) { return c.key == key; });
}

Connection* FlowTable::Insert(const FlowKey& key, uint64_t hash, int64_t ts) {
  Connection* c = NewConnection();
  c->key = key;
  c->hash_ = hash;
  c->first_ts = ts;
  c->last_ts = ts;
  index_.Insert(hash, c);
  PushNewest(embryonic_, c);
  return c;
}

void FlowTable::Unlink(RecencyList& list, Connection* c) {
  if (c->newer_) c->newer_->older_ = c->older_;
  else list.newest = c->older_;
  if (c->older_) c->older_->newer_ = c->newer_;
  else list.oldest = c->newer_;
  c->newer_ = c->older_ = nullptr;
}

void FlowTable::PushNewest(RecencyList& list, Connection* c) {
  c->older_ = list.newest;
  c->newer_ = nullptr;
  if (list.newest) list.newest->newer_ = c;
  list.newest = c;
  if (!list.oldest) list.oldest = c;
}

void FlowTable::Touch(Connection* c, int64_t ts) {
  // Captures are not always in time order; recency never goes backwards.
  if (ts > c->last_ts) c->last_ts = ts;
  RecencyList& list = ListOf(c);
  if (list.newest == c) return;
  Unlink(list, c);
  PushNewest(list, c);
}

void FlowTable::MarkEstablished(Connection* c) {
  if (c->established) return;
  Unlink(embryonic_, c);
  c->established = true;
  PushNewest(established_, c);
}

Connection* FlowTable::EvictionCandidate() const {
  return embryonic_.oldest ? embryonic_.oldest : established_.oldest;
}

Connection* FlowTable::IdleCandidate(int64_t cutoff) const {
  // Each list is in recency order, so only its oldest entry can be the idlest.
  Connection* a = embryonic_.oldest;
  Connection* b = established_.oldest;
  Connection* oldest = !a ? b : !b ? a : (a->last_ts <= b->last_ts ? a : b);
  return oldest && oldest->last_ts <= cutoff ? oldest : nullptr;
}

void FlowTable::Remove(Connection* c) {
  Unlink(ListOf(c), c);
  index_.Remove(c->hash_, c);
  // Reset in place: what the connection held is freed, and its object stays for the next one.
  c->~Connection();
  new (c) Connection();
  c->newer_ = spare_;
  spare_ = c;
  ++spares_;
}

}  // namespace capture_shim

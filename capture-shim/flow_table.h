// The table of tracked TCP connections: lookup by 4-tuple, client/server roles, per-connection
// sampling, least-recently-active eviction and idle expiry.
//
// Memory is bounded by `max_connections`. Connections are kept on two recency lists: `embryonic`
// (no payload seen yet: handshakes, SYN floods, port scans) and `established`. Eviction takes the
// least recently active embryonic connection first, so a flood of half-open connections evicts its
// own kind before it touches a connection that carries traffic.
//
// Lookup goes through a flat open-addressing index (flow_index.h) keyed by the seeded symmetric hash;
// the key itself is compared in the Connection. The Connection objects live in one address range
// reserved for `max_connections` of them, made resident a chunk at a time (memory_pages.h) as the
// table first grows into it. A removed Connection is reset and kept as a spare for the next one, so
// a table that has once held N connections keeps N objects (live and spare), never more than
// `max_connections`: new connections reuse warm memory instead of fresh pages, whose first write on
// a VM costs far more than the work done on them (docs/performance.md, "conns: the capture thread").
#ifndef CAPTURE_SHIM_FLOW_TABLE_H_
#define CAPTURE_SHIM_FLOW_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "endpoint.h"
#include "flow_index.h"
#include "packet_decoder.h"
#include "reassembler.h"
#include "receive_window.h"
#include "stream_event_format.h"

namespace capture_shim {

using stream_format::Direction;

// The 4-tuple in a canonical order (the lower address/port pair first), so both directions of a
// connection find the same entry.
struct FlowKey {
  uint8_t ip_version = 0;
  uint8_t addr_lo[16] = {};
  uint8_t addr_hi[16] = {};
  uint16_t port_lo = 0;
  uint16_t port_hi = 0;
  bool operator==(const FlowKey& o) const;
};

// The key of a segment's connection; `*source_is_lo` tells which side of the key sent it.
FlowKey MakeFlowKey(const TcpSegment& seg, bool* source_is_lo);

// The process's flow-hash seed: drawn from the kernel's random source on first use, fixed after.
// Per process so that a client cannot choose 4-tuples that sampling always drops or that collide
// in the table; fixed within the process so every packet of a connection gets the same answer.
uint64_t FlowHashSeed();
// A fresh draw from the same source (what FlowHashSeed() drew once).
uint64_t NewFlowHashSeed();

// A symmetric hash of the 4-tuple (both directions give the same value), under the process seed.
uint64_t SymmetricFlowHash(const FlowKey& key);
uint64_t SymmetricFlowHash(const FlowKey& key, uint64_t seed);

// Whether a connection is kept at `sample_rate` in [0, 1]. Decided by the hash alone, so every
// packet of a connection, in either direction, gets the same answer without any state.
bool IsSampled(const FlowKey& key, double sample_rate);
// The same, given the key's SymmetricFlowHash.
bool IsSampledHash(uint64_t hash, double sample_rate);

// The `ports` of the configuration. Empty means every port.
class PortSet {
 public:
  PortSet() : bits_(65536 / 64, 0) {}
  void Add(uint16_t port) {
    bits_[port >> 6] |= uint64_t{1} << (port & 63);
    empty_ = false;
  }
  bool Contains(uint16_t port) const { return bits_[port >> 6] >> (port & 63) & 1; }
  bool empty() const { return empty_; }
  // With an empty set every port matches.
  bool Matches(uint16_t a, uint16_t b) const { return empty_ || Contains(a) || Contains(b); }

 private:
  std::vector<uint64_t> bits_;
  bool empty_ = true;
};

// Whether the sender of `first` (the first packet seen of a connection) is the server: the side
// whose port is in `ports`; when both or neither are, the side that answered the SYN; with no SYN
// seen, the lower port (the destination on a tie).
bool SenderIsServer(const TcpSegment& first, const PortSet& ports);

// A bare SYN seen on an established connection: the receiver decides what it is (see
// ConnectionTracker). Kept without its payload.
struct PendingSyn {
  TcpSegment syn;
  Direction dir;
  int64_t ts;
  uint32_t copies;  // the SYN and its retransmissions
};

struct Connection {
  uint64_t id = 0;
  FlowKey key;
  Endpoint client;
  Endpoint server;
  bool client_is_lo = false;     // which side of `key` the client is
  int64_t first_ts = 0;
  int64_t last_ts = 0;
  bool established = false;      // payload seen: on the established list
  bool announced = false;        // `open` written
  bool suppressed = false;       // never announced (shed); its events are dropped
  Reassembler dirs[2];           // by Direction
  uint64_t pending_shed[2] = {}; // bytes shed while JS was behind, not yet reported as a gap
  ReceiveWindows windows;        // what each receiver would accept
  // A bare SYN on this established connection, waiting for its receiver's answer. Null when none.
  std::unique_ptr<PendingSyn> pending_syn;

  uint64_t hash() const { return hash_; }  // SymmetricFlowHash(key)

  Direction DirectionOf(bool source_is_lo) const {
    return source_is_lo == client_is_lo ? Direction::kClientToServer : Direction::kServerToClient;
  }

 private:
  friend class FlowTable;
  uint64_t hash_ = 0;
  Connection* newer_ = nullptr;  // a spare: the next spare
  Connection* older_ = nullptr;
};

class FlowTable {
 public:
  explicit FlowTable(size_t max_connections);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // `hash` is SymmetricFlowHash(key): the tracker computes it once per segment.
  Connection* Find(const FlowKey& key, uint64_t hash) const;
  Connection* Find(const FlowKey& key) const { return Find(key, SymmetricFlowHash(key)); }
  // REQUIRES: !full() and no connection with this key.
  Connection* Insert(const FlowKey& key, uint64_t hash, int64_t ts);
  Connection* Insert(const FlowKey& key, int64_t ts) { return Insert(key, SymmetricFlowHash(key), ts); }
  // Records activity at `ts`: the connection becomes the most recent of its list.
  void Touch(Connection* c, int64_t ts);
  // Moves a connection that carried payload to the established list.
  void MarkEstablished(Connection* c);
  // The connection to evict when full: the least recent embryonic one, else the least recent.
  Connection* EvictionCandidate() const;
  // The least recently active connection of either list whose last activity is at or before
  // `cutoff`, or null.
  Connection* IdleCandidate(int64_t cutoff) const;
  // Ends the connection: `c` is reset (what it held is freed) and kept as a spare.
  void Remove(Connection* c);

  size_t size() const { return index_.size(); }
  bool full() const { return index_.size() >= max_connections_; }
  size_t max_connections() const { return max_connections_; }
  // Connection objects kept for reuse; size() + spares() <= max_connections().
  size_t spares() const { return spares_; }
  // The table's own resident memory at most: the index and the objects' pages made resident, at most
  // one chunk beyond the objects ever used at once (not what a connection's reassemblers hold,
  // which the BufferBudget counts).
  size_t memory_bytes() const { return index_.memory_bytes() + slab_resident_; }

  // Calls fn(Connection*) for every connection. REQUIRES: fn does not insert or remove.
  template <typename Fn>
  void ForEach(Fn&& fn) {
    index_.ForEach(fn);
  }

 private:
  struct RecencyList {
    Connection* newest = nullptr;
    Connection* oldest = nullptr;
  };
  RecencyList& ListOf(Connection* c) { return c->established ? established_ : embryonic_; }
  static void Unlink(RecencyList& list, Connection* c);
  static void PushNewest(RecencyList& list, Connection* c);

  // A spare if there is one, else the next object of the slab.
  Connection* NewConnection();

  size_t max_connections_;
  FlowIndex<Connection> index_;
  Connection* slab_ = nullptr;   // room for max_connections_ objects, mapped at the first Insert
  size_t slab_bytes_ = 0;
  size_t slab_used_ = 0;         // objects [0, slab_used_) constructed: live or spare
  size_t slab_resident_ = 0;     // bytes of the slab made resident
  Connection* spare_ = nullptr;  // linked through newer_
  size_t spares_ = 0;
  RecencyList embryonic_;
  RecencyList established_;
};

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_FLOW_TABLE_H_

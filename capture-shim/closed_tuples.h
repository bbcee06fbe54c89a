// The 4-tuples of connections recently closed by FIN or RST, with their capture times: segments still
// in flight after a close (data sent before the peer saw the reset, retransmitted FINs) are told
// apart from a new connection by them (connection_tracker.h).
//
// At most `capacity` tuples (the flow table's max_connections), the oldest close forgotten first:
// a ring of 56-byte records, indexed by the same seeded hash as the table (flow_index.h). Closing a
// tuple again moves it to the newest end. The ring's address space is reserved at once and its pages
// become resident as the records are first written, one after the other; once it has gone round it
// is overwritten in place, so a steady rate of closes faults in no fresh memory.
#ifndef CAPTURE_SHIM_CLOSED_TUPLES_H_
#define CAPTURE_SHIM_CLOSED_TUPLES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "flow_index.h"
#include "flow_table.h"

namespace capture_shim {

class ClosedTuples {
 public:
  explicit ClosedTuples(size_t capacity);
  ClosedTuples(const ClosedTuples&) = delete;
  ClosedTuples& operator=(const ClosedTuples&) = delete;

  // `hash` is SymmetricFlowHash(key). Remembers that `key` closed at `ts`.
  void Remember(const FlowKey& key, uint64_t hash, int64_t ts);
  // Whether `key` closed at or after `since` (its latest close, while remembered).
  bool ClosedSince(const FlowKey& key, uint64_t hash, int64_t since) const;

  size_t size() const { return index_.size(); }
  // Resident at most: the index and the records written so far.
  size_t memory_bytes() const { return index_.memory_bytes() + ring_.size() * sizeof(Record); }

 private:
  struct Record {
    FlowKey key;
    bool live;  // false: the tuple closed again later, and a newer record holds it
    uint64_t hash;
    int64_t ts;
  };

  size_t capacity_;
  // Reserved for `capacity_` records and never reallocated (the index points into it); grown one
  // record at a time until full, then `oldest_` goes round.
  std::vector<Record> ring_;
  size_t oldest_ = 0;
  FlowIndex<Record> index_;
};

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_CLOSED_TUPLES_H_

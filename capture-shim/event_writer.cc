#include "event_writer.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "memory_pages.h"

namespace capture_shim {

void* MapBatchMemory(size_t bytes) {
  // Not populated: a batch's pages become resident only as far as it is written (populating the whole
  // buffer cut the capture thread's page faults but added a fifth to the batches' resident memory:
  // docs/performance.md, "conns: batch memory"); the writer populates a little ahead of itself
  // instead (kBatchPrefaultBytes), and warm buffers are reused (batch_pool.h).
  return MapPages(bytes);
}

void UnmapBatchMemory(void* p, size_t bytes) { UnmapPages(p, bytes); }

void EventWriter::Reset(Batch&& buffer, size_t warm_bytes) {
  buf_ = std::move(buffer);
  buf_.clear();
  StartPrefault(warm_bytes / kPageBytes * kPageBytes);  // whole pages
}

void EventWriter::StartPrefault(size_t resident) {
  prefaulted_base_ = buf_.data();
  // Smaller buffers are malloc's (BatchAllocator), not worth a system call.
  prefaulted_ = buf_.capacity() >= kMappedBatchMinBytes ? resident : SIZE_MAX;
}

void EventWriter::Prefault(size_t end) {
  const size_t capacity = buf_.capacity();
  if (buf_.data() != prefaulted_base_) StartPrefault(0);  // a new buffer, not known to be resident
  if (end <= prefaulted_) return;
  // A mapping starts on a page, so offsets from the start are page-aligned too.
  size_t to = std::min(capacity, RoundUpToPage(end + kBatchPrefaultBytes));
  // When it cannot, this buffer's pages fault in as they are written, as they did before (and if
  // memory is short, the write is where it shows).
  prefaulted_ = PopulatePages(buf_.data() + prefaulted_, to - prefaulted_) ? to : SIZE_MAX;
}

namespace format = stream_format;

uint8_t* EventWriter::Append(EventKind kind, uint8_t arg, uint32_t len, uint64_t conn, int64_t ts) {
  size_t at = buf_.size();
  const size_t end = at + format::kHeaderSize + len;
  // resize() leaves the new bytes uninitialised (nothing is written to them yet); the header is fully
  // written and the payload by the caller.
  buf_.resize(end);
  if (end > prefaulted_ || buf_.data() != prefaulted_base_) Prefault(end);
  uint8_t* h = buf_.data() + at;
  format::EncodeHeader(h, {static_cast<uint8_t>(kind), arg, len, conn, ts});
  return h + format::kHeaderSize;
}

void EventWriter::Open(uint64_t conn, uint8_t ip_version, const Endpoint& client,
                       const Endpoint& server, int64_t ts, bool sampled) {
  uint8_t* p = Append(EventKind::kOpen, sampled ? format::kOpenSampled : 0, format::kOpenPayloadSize,
                      conn, ts);
  format::EncodeOpenPayload(p, static_cast<format::IpVersion>(ip_version), client.addr, client.port,
                            server.addr, server.port);
}

void EventWriter::Data(uint64_t conn, Direction dir, const uint8_t* bytes, uint32_t len,
                       int64_t ts) {
  uint8_t* p = Append(EventKind::kData, static_cast<uint8_t>(dir), len, conn, ts);
  std::memcpy(p, bytes, len);
}

void EventWriter::Gap(uint64_t conn, Direction dir, uint64_t lost_bytes, int64_t ts) {
  uint8_t* p = Append(EventKind::kGap, static_cast<uint8_t>(dir), format::kGapPayloadSize, conn, ts);
  format::StoreLe64(p, lost_bytes);
}

void EventWriter::Close(uint64_t conn, CloseReason reason, int64_t ts) {
  Append(EventKind::kClose, static_cast<uint8_t>(reason), format::kClosePayloadSize, conn, ts);
}

}  // namespace capture_shim

// Writes stream events in the batch format of docs/internals.md §1 (stream-format/
// stream_event_format.h) into one growing buffer that is handed over whole as a batch.
//
// The buffer is reserved once per batch, so writing allocates nothing per packet.
#ifndef CAPTURE_SHIM_EVENT_WRITER_H_
#define CAPTURE_SHIM_EVENT_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "endpoint.h"
#include "stream_event_format.h"

namespace capture_shim {

using stream_format::CloseReason;
using stream_format::Direction;
using stream_format::EventKind;

// A batch's allocator. New elements are left uninitialised: the writer overwrites every byte it adds,
// so zeroing them first would only double the memory traffic. Batch-sized blocks are mapped from the
// kernel and unmapped when freed, not taken from the capture thread's malloc arena: an arena grew with
// every burst and kept its peak (and grew and trimmed page by page in between); a mapping's pages
// go back to the kernel as soon as the batch is freed (docs/performance.md, "conns: batch memory").
void* MapBatchMemory(size_t bytes);
void UnmapBatchMemory(void* p, size_t bytes);
constexpr size_t kMappedBatchMinBytes = 64 << 10;
// A mapped batch's pages are made resident this far ahead of what is written, in one system call
// (MADV_POPULATE_WRITE) rather than one page fault per 4 KiB page: on a VM a page fault costs about
// twice what the same page costs populated (docs/performance.md, "conns: the capture thread").
constexpr size_t kBatchPrefaultBytes = 32 << 10;

template <typename T>
struct BatchAllocator {
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = BatchAllocator<U>;
  };
  BatchAllocator() = default;
  template <typename U>
  BatchAllocator(const BatchAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    if (n * sizeof(T) >= kMappedBatchMinBytes) return static_cast<T*>(MapBatchMemory(n * sizeof(T)));
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, size_t n) noexcept {
    if (n * sizeof(T) >= kMappedBatchMinBytes) return UnmapBatchMemory(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <typename U>
  bool operator==(const BatchAllocator<U>&) const noexcept { return true; }
  template <typename U>
  bool operator!=(const BatchAllocator<U>&) const noexcept { return false; }
};

// One batch of events: the unit handed to JS.
using Batch = std::vector<uint8_t, BatchAllocator<uint8_t>>;

class EventWriter {
 public:
  EventWriter() = default;

  void Open(uint64_t conn, uint8_t ip_version, const Endpoint& client, const Endpoint& server,
            int64_t ts, bool sampled);
  // REQUIRES: len > 0 (the format never carries empty data).
  void Data(uint64_t conn, Direction dir, const uint8_t* bytes, uint32_t len, int64_t ts);
  void Gap(uint64_t conn, Direction dir, uint64_t lost_bytes, int64_t ts);
  void Close(uint64_t conn, CloseReason reason, int64_t ts);

  size_t size() const { return buf_.size(); }
  bool empty() const { return buf_.empty(); }
  const uint8_t* data() const { return buf_.data(); }

  // The batch being written; a consumer may move it out (leaving it empty) to take the batch.
  Batch* mutable_buffer() { return &buf_; }
  // Writes from now on into `buffer` (empty), of which the first `warm_bytes` are known to be
  // resident (BatchPool::Take).
  void Reset(Batch&& buffer, size_t warm_bytes);

 private:
  uint8_t* Append(EventKind kind, uint8_t arg, uint32_t len, uint64_t conn, int64_t ts);
  // Makes the buffer's pages up to `end` (and a little beyond) resident before they are written.
  void Prefault(size_t end);
  // Starts tracking a new buffer whose first `resident` bytes (page-aligned) are resident.
  void StartPrefault(size_t resident);

  Batch buf_;
  // Pages of `buf_` made resident by Prefault: [0, prefaulted_) of the buffer at prefaulted_base_.
  const uint8_t* prefaulted_base_ = nullptr;
  size_t prefaulted_ = 0;
};

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_EVENT_WRITER_H_

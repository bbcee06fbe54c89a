// Anonymous memory straight from the kernel, and making its pages resident ahead of their first
// write. On the VMs measured (docs/performance.md, "conns: the capture thread") a page's first write
// costs far more than the bytes written into it, and a page fault about twice what the same page
// costs made resident in bulk (MADV_POPULATE_WRITE): the batches and the connection objects, which
// a burst writes into fresh memory, populate their pages a little ahead of the writer.
#ifndef CAPTURE_SHIM_MEMORY_PAGES_H_
#define CAPTURE_SHIM_MEMORY_PAGES_H_

#include <cstddef>

namespace capture_shim {

constexpr size_t kPageBytes = 4096;

inline size_t RoundUpToPage(size_t n) { return (n + kPageBytes - 1) / kPageBytes * kPageBytes; }

// Reserves `bytes` (page-aligned, zero, not yet resident). Throws std::bad_alloc.
void* MapPages(size_t bytes);
void UnmapPages(void* p, size_t bytes);

// Makes the pages of [p, p + bytes) resident and writable in one system call. REQUIRES: `p` is
// page-aligned, within a mapping. False when it could not (a kernel before 5.14, where every call
// then returns false at once, or memory short): the pages then fault in as they are written.
bool PopulatePages(void* p, size_t bytes);

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_MEMORY_PAGES_H_

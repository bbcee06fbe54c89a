#include "memory_pages.h"

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <new>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older headers lack it
#endif

namespace capture_shim {
namespace {

// Cleared when the kernel refuses MADV_POPULATE_WRITE as unknown: no point asking again.
std::atomic<bool> g_populate_known{true};

}  // namespace

void* MapPages(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

void UnmapPages(void* p, size_t bytes) { munmap(p, bytes); }

bool PopulatePages(void* p, size_t bytes) {
  if (bytes == 0) return true;
  if (!g_populate_known.load(std::memory_order_relaxed)) return false;
  if (madvise(p, bytes, MADV_POPULATE_WRITE) == 0) return true;
  if (errno == EINVAL) g_populate_known.store(false, std::memory_order_relaxed);
  return false;
}

}  // namespace capture_shim

// Offline throughput of the shim alone (decode, track, reassemble, write events; no JS):
//   capture_shim_bench FILE.pcap [repeats]
// Prints seconds, MB/s of capture file and packets/s per run. A benchmark, not a test.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <condition_variable>

#include "capture.h"

namespace {

class Counter : public capture_shim::BatchConsumer {
 public:
  bool TryDeliver(capture_shim::Batch* b) override { return Deliver(b); }
  bool Deliver(capture_shim::Batch* b) override {
    bytes += b->size();
    ++batches;
    b->clear();
    return true;
  }
  void End(const capture_shim::CaptureStatus& s) override {
    std::lock_guard<std::mutex> lock(mu);
    status = s;
    done = true;
    cv.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  uint64_t bytes = 0, batches = 0;
  capture_shim::CaptureStatus status;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE.pcap [repeats]\n", argv[0]);
    return 2;
  }
  int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  struct stat st;
  if (stat(argv[1], &st) != 0) {
    std::perror(argv[1]);
    return 2;
  }
  double mb = st.st_size / 1e6;
  std::printf("file: %s, %.1f MB\n%-4s %8s %8s %12s %12s %10s\n", argv[1], mb, "run", "seconds",
              "MB/s", "packets/s", "event MB", "batches");
  for (int r = 1; r <= repeats; ++r) {
    capture_shim::CaptureOptions o;  // as ts/src/sniffer.ts opens a file
    o.file = argv[1];
    o.snaplen = 262144;
    o.sample_rate = 1;
    o.max_connections = 10000;
    o.idle_timeout_ms = 60000;
    o.max_buffered_bytes = 128ull << 20;
    o.batch_bytes = 256 << 10;
    o.max_queued_bytes = 20 << 20;
    capture_shim::CaptureStatus status;
    auto t0 = std::chrono::steady_clock::now();
    auto cap = capture_shim::Capture::Open(o, &status);
    if (!cap) {
      std::fprintf(stderr, "%s: %s\n", capture_shim::CaptureErrorName(status.code), status.message.c_str());
      return 1;
    }
    Counter counter;
    cap->Start(&counter);
    counter.Wait();
    cap->Join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    capture_shim::CaptureStats stats = cap->Stats();
    std::printf("%-4d %8.3f %8.1f %12.0f %12.1f %10llu%s\n", r, s, mb / s, stats.packets_seen / s,
                counter.bytes / 1e6, static_cast<unsigned long long>(counter.batches),
                counter.status.ok() ? "" : "  (ended with a read error)");
  }
  return 0;
}

// Offline throughput of the shim alone (decode, track, reassemble, write events; no JS):
//   capture_shim_bench FILE.pcap [repeats] [held]
// Prints seconds, MB/s of capture file, packets/s, the CPU and page faults of the process per run.
// With `held` > 0 the consumer keeps the last `held` batches before it gives each back to the
// capture's pool, as a JS thread that is behind holds them in the queue: the capture then writes
// into that many fresh buffers before it reuses any (docs/performance.md, "conns: the capture
// thread"). Without it, one buffer goes round. A benchmark, not a test.
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <condition_variable>
#include <deque>
#include <memory>

#include "capture.h"

namespace {

class Counter : public capture_shim::BatchConsumer {
 public:
  Counter(std::shared_ptr<capture_shim::BatchPool> pool, size_t held) : pool_(pool), held_(held) {}
  bool TryDeliver(capture_shim::Batch* b) override { return Deliver(b); }
  bool Deliver(capture_shim::Batch* b) override {
    bytes += b->size();
    ++batches;
    if (held_ == 0) {
      b->clear();
      return true;
    }
    queue_.push_back(std::move(*b));
    b->clear();
    if (queue_.size() > held_) {
      pool_->Give(std::move(queue_.front()));
      queue_.pop_front();
    }
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

 private:
  std::shared_ptr<capture_shim::BatchPool> pool_;
  size_t held_;
  std::deque<capture_shim::Batch> queue_;
};

double CpuSeconds(long* minor_faults) {
  rusage r;
  getrusage(RUSAGE_SELF, &r);
  *minor_faults = r.ru_minflt;
  return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE.pcap [repeats] [held]\n", argv[0]);
    return 2;
  }
  int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  size_t held = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 0;
  struct stat st;
  if (stat(argv[1], &st) != 0) {
    std::perror(argv[1]);
    return 2;
  }
  double mb = st.st_size / 1e6;
  std::printf("file: %s, %.1f MB, %zu batches held\n%-4s %8s %8s %12s %12s %10s %8s %8s\n", argv[1],
              mb, held, "run", "seconds", "MB/s", "packets/s", "event MB", "batches", "cpu s", "faults");
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
    long faults0, faults1;
    double cpu0 = CpuSeconds(&faults0);
    auto t0 = std::chrono::steady_clock::now();
    auto cap = capture_shim::Capture::Open(o, &status);
    if (!cap) {
      std::fprintf(stderr, "%s: %s\n", capture_shim::CaptureErrorName(status.code), status.message.c_str());
      return 1;
    }
    Counter counter(cap->pool(), held);
    cap->Start(&counter);
    counter.Wait();
    cap->Join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = CpuSeconds(&faults1) - cpu0;
    capture_shim::CaptureStats stats = cap->Stats();
    std::printf("%-4d %8.3f %8.1f %12.0f %12.1f %10llu %8.3f %8ld%s\n", r, s, mb / s,
                stats.packets_seen / s, counter.bytes / 1e6,
                static_cast<unsigned long long>(counter.batches), cpu, faults1 - faults0,
                counter.status.ok() ? "" : "  (ended with a read error)");
  }
  return 0;
}

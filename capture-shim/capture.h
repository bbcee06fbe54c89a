// A capture: one libpcap handle (live interface or offline file) read on its own thread, decoded,
// tracked and reassembled, with the resulting stream events handed to a BatchConsumer in batches.
//
// Live: libpcap without immediate mode, so on Linux the kernel fills TPACKET_V3 blocks and the
// thread wakes once per block (when it is full, or when kBlockTimeoutMs retires a block that is not),
// reads every ready block with pcap_dispatch, and hands the batch over when it reaches batch_bytes,
// or after the read, at most once per kHandOverIntervalMs, but a partial batch only while the
// consumer has no backlog (BatchConsumer::Backlogged). No system call or clock read per packet: packet
// timestamps drive the tracker; the clock is read once per wake-up. The loop never waits on
// the consumer: when it refuses a batch (its queue is full) the tracker sheds payload as gaps until
// a hand-over succeeds again. Once Stop() is asked, hand-overs wait for room instead: the JS
// thread is running, and what is read then is the end of the capture.
// Offline: the loop waits for the consumer; nothing is shed.
// At end of file, on a read error, and at Stop(): every connection is closed (reason shutdown),
// the last batch delivered, then End() is called once with the outcome. A live Stop() first reads
// for kStopGraceMs more, so packets still in the block the kernel is filling are not lost.
#ifndef CAPTURE_SHIM_CAPTURE_H_
#define CAPTURE_SHIM_CAPTURE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "batch_pool.h"
#include "capture_stats.h"
#include "event_writer.h"

typedef struct pcap pcap_t;

namespace capture_shim {

// Every field is given by the caller (the addon passes what ts/src sets; the defaults and their
// reasons live there). Zero-initialised only so that a forgotten field is not garbage.
struct CaptureOptions {
  std::string interface;      // live capture, or
  std::string file;           // offline pcap / pcapng
  std::vector<uint16_t> ports;  // empty: every TCP connection
  int snaplen = 0;
  int buffer_bytes = 0;       // live: the kernel ring (mapped into the process: it counts in RSS)
  double sample_rate = 0;
  size_t max_connections = 0;
  int64_t idle_timeout_ms = 0;
  uint64_t max_buffered_bytes = 0;
  size_t batch_bytes = 0;
  uint64_t max_queued_bytes = 0;  // the consumer's queue toward JS (the addon's)
};

// The kernel's block timeout (pcap_set_timeout): on a quiet link a packet waits at most about this
// long in a block before the thread can read it. The latency bound in README.md derives from it.
constexpr int kBlockTimeoutMs = 20;
// Live: at most one timed hand-over per this interval (a batch that reaches batch_bytes goes at
// once); the first batch after a quiet spell goes without waiting. While the consumer has a backlog a
// timed hand-over is put off to the next due time: the batch could not be read any sooner, and
// handed over partial it would take a whole buffer's room in the consumer's queue for part of one.
constexpr int kHandOverIntervalMs = 10;
// How long a live Stop() keeps reading: a few block timeouts, so the block being filled retires.
constexpr int kStopGraceMs = 3 * kBlockTimeoutMs;

enum class CaptureErrorCode {
  kNone,
  kInterfaceNotFound,
  kFileNotFound,
  kOpenFailed,
  kFilterFailed,
  kReadFailed,
};

// The JS `err.code` of a CaptureErrorCode.
const char* CaptureErrorName(CaptureErrorCode code);

struct CaptureStatus {
  CaptureErrorCode code = CaptureErrorCode::kNone;
  std::string message;
  std::vector<std::string> interfaces;  // with kInterfaceNotFound
  bool ok() const { return code == CaptureErrorCode::kNone; }
};

// A failed status.
CaptureStatus CaptureFailure(CaptureErrorCode code, std::string message);

// Receives batches on the capture thread. Implementations must not block in TryDeliver.
class BatchConsumer {
 public:
  virtual ~BatchConsumer() = default;
  // Live: takes `*batch` (leaving it empty) if there is room, else returns false and leaves it.
  virtual bool TryDeliver(Batch* batch) = 0;
  // Offline, the last batch, and once Stop() is asked: takes `*batch`, waiting for room. False
  // when the consumer can take no more.
  virtual bool Deliver(Batch* batch) = 0;
  // Called once, last.
  virtual void End(const CaptureStatus& status) = 0;
  // Live: whether batches already taken wait for the consumer, not yet begun: a batch handed over now
  // would only queue behind them, so the capture keeps filling a partial one instead (RunLive). Read
  // by the capture thread once per wake-up, never per packet: it must be cheap and must not block.
  virtual bool Backlogged() const { return false; }
};

// Names of the devices libpcap can capture on (including `any`); empty with `*error` on failure.
std::vector<std::string> ListInterfaces(std::string* error);

class Capture {
 public:
  // Opens the handle (and sets the filter) on the calling thread, so that failures are reported
  // synchronously. Null with `*status` set on failure.
  static std::unique_ptr<Capture> Open(const CaptureOptions& options, CaptureStatus* status);
  ~Capture();  // stops and joins
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  // Starts the capture thread. REQUIRES: called once; `consumer` outlives the thread.
  void Start(BatchConsumer* consumer);
  // Asks the thread to finish (close all, last batch, End). Idempotent; does not wait.
  void Stop();
  // Waits for the thread to exit.
  void Join();

  // The counters as of the last hand-over (or the end).
  CaptureStats Stats() const;
  // maxBufferedBytes is one budget over the reassembly and the HTTP core (docs/internals.md §6):
  // the core holds `core_held` bytes now, so the reassembly's share becomes the rest. Returns what
  // the reassembly holds (as of the last hand-over), for the core's share. Any thread.
  uint64_t ShareBudget(uint64_t core_held);
  // Where consumers may return spent batches (optional, shared so it outlives the capture).
  std::shared_ptr<BatchPool> pool() const { return pool_; }

 private:
  struct Loop;

  Capture(const CaptureOptions& options, pcap_t* handle, bool live);
  void Run();
  CaptureStatus RunLive(Loop* loop);
  CaptureStatus RunOffline(Loop* loop);

  CaptureOptions options_;
  pcap_t* handle_;
  bool live_;
  int link_type_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  BatchConsumer* consumer_ = nullptr;
  std::shared_ptr<BatchPool> pool_;
  std::atomic<uint64_t> core_held_{0};
  mutable std::mutex stats_mu_;
  CaptureStats published_;
  std::unique_ptr<char[]> read_buffer_;  // offline: libpcap's stdio buffer (capture.cc)
};

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_CAPTURE_H_

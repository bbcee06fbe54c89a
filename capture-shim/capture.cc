#include "capture.h"

#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "connection_tracker.h"
#include "event_writer.h"
#include "packet_decoder.h"

namespace capture_shim {
namespace {

// Offline: packets read per pcap_dispatch call, so that a stop is noticed within a bounded time.
constexpr int kOfflinePacketsPerRead = 1024;
// A quiet live link: how often the thread wakes anyway, to let capture time pass (idle connections,
// stale holes), publish the kernel's counters and retry a refused hand-over.
constexpr int kQuietWakeMs = 50;
// How long the link must be quiet before the spare batches are freed. Long enough that the phases of
// one burst (a connection storm, its exchanges, its closes, each a few hundred ms apart) reuse the
// same warm buffers, since fresh memory costs far more than the bytes written into it; short enough
// that a burst's memory does not stay resident on an idle sidecar (docs/performance.md, "conns: the
// capture thread").
constexpr int kTrimQuietMs = 1000;
// A batch reserves batch_bytes and this much more, so the event that crosses batch_bytes fits.
constexpr size_t kBatchReserveBytes = 64 << 10;
// Spare batches kept warm (batch_pool.h); freed once the link is quiet. Not as many as the queue toward
// JS may hold: a burst that fills the queue would keep all of it resident until the link goes quiet, and
// at 10,000 connections that was 2-6 MiB of the peak RSS for no measurable CPU saved
// (docs/performance.md, "Issue 8, session 9").
constexpr size_t kSpareBatches = 8;

int64_t MonotonicUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

int64_t WallClockUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

TrackerConfig MakeTrackerConfig(const CaptureOptions& o, const std::atomic<uint64_t>* core_held) {
  TrackerConfig t;
  t.held_elsewhere = core_held;
  for (uint16_t p : o.ports) t.ports.Add(p);
  t.sample_rate = o.sample_rate;
  t.max_connections = o.max_connections;
  t.idle_timeout_us = o.idle_timeout_ms * 1000;
  t.max_buffered_bytes = o.max_buffered_bytes;
  // One direction may hold at most 1 MiB, or the whole budget when that is smaller.
  t.reassembly.max_held_bytes = std::min<uint64_t>(1 << 20, o.max_buffered_bytes);
  t.shed_batch_cap = std::max<size_t>(o.batch_bytes * 4, 1 << 20);
  return t;
}

}  // namespace

// The state of the capture thread: decoding, tracking, and handing batches to the consumer.
struct Capture::Loop {
  Loop(Capture* c, int link)
      : capture(c),
        link_type(link),
        tracker(MakeTrackerConfig(c->options_, &c->core_held_), &writer, &stats) {
    TakeBuffer();
  }

  // The next buffer to write into, warm from the pool if it has one.
  void TakeBuffer() {
    size_t warm_bytes;
    Batch b = capture->pool_->Take(&warm_bytes);
    writer.Reset(std::move(b), warm_bytes);
  }

  // pcap_dispatch's callback.
  static void OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
    Loop* loop = reinterpret_cast<Loop*>(user);
    loop->Handle(h, bytes);
    // While shedding, hand-overs are retried once per read of the ring, not after every packet.
    if (loop->writer.size() >= loop->capture->options_.batch_bytes && !loop->tracker.shedding() &&
        !loop->Flush(false)) {
      pcap_breakloop(loop->capture->handle_);
    }
  }

  void Handle(const pcap_pkthdr* h, const u_char* bytes) {
    ++stats.packets_seen;
    int64_t ts = int64_t{h->ts.tv_sec} * 1'000'000 + h->ts.tv_usec;
    if (ts > last_ts) last_ts = ts;
    TcpSegment seg;
    switch (DecodeFrame(link_type, bytes, h->caplen, h->len, &seg)) {
      case DecodeStatus::kTcp:
        ++stats.packets_decoded;
        tracker.OnSegment(seg, ts);
        break;
      case DecodeStatus::kNotTcp:
        ++stats.packets_not_tcp;
        break;
      case DecodeStatus::kFragment:
        ++stats.packets_fragmented;
        break;
      case DecodeStatus::kMalformed:
      case DecodeStatus::kUnsupportedLink:
        ++stats.packets_malformed;
        break;
    }
  }

  // Reads the ready blocks of the ring (live) or the next kOfflinePacketsPerRead (offline).
  // Returns the number read, or PCAP_ERROR / PCAP_ERROR_BREAK (the consumer is gone).
  int Read() {
    // Live, one call reads every block ready now. RunLive calls it only when poll() says a block
    // is ready: called with none, libpcap polls the socket itself, a second system call per wake-up.
    return pcap_dispatch(capture->handle_, capture->live_ ? -1 : kOfflinePacketsPerRead, OnPacket,
                         reinterpret_cast<u_char*>(this));
  }

  // Hands the current batch over. Live: a refusal turns shedding on until a hand-over succeeds.
  // Offline, the final batch, and once Stop() is asked: waits. False when the consumer is gone.
  bool Flush(bool final_batch) {
    Batch& buf = *writer.mutable_buffer();
    bool ok = true;
    if (!buf.empty()) {
      if (capture->live_ && !final_batch && !capture->stop_.load(std::memory_order_relaxed)) {
        if (capture->consumer_->TryDeliver(&buf)) {
          ++stats.batches_delivered;
          tracker.SetShedding(false);
        } else {
          // The batch stays here and keeps growing only by events the tracker bounds.
          ++stats.batches_refused;
          tracker.SetShedding(true);
        }
      } else {
        ok = capture->consumer_->Deliver(&buf);
        if (ok) ++stats.batches_delivered;
        buf.clear();  // when the consumer is gone the bytes have nowhere to go
      }
      if (buf.capacity() == 0) TakeBuffer();  // the batch was taken
    }
    Publish();
    consumer_alive = consumer_alive && ok;
    return ok;
  }

  // `final`: the end of the capture, when the kernel's counters are read whatever their age.
  void Publish(bool final = false) {
    // The kernel's counters cost a system call (getsockopt): read at most once per quiet wake-up
    // interval rather than at every hand-over, so they stay as fresh as a quiet link's.
    if (capture->live_ && (final || MonotonicUs() >= kernel_stats_due)) {
      kernel_stats_due = MonotonicUs() + kQuietWakeMs * 1000;
      pcap_stat ps;
      if (pcap_stats(capture->handle_, &ps) == 0) {
        stats.kernel_received = ps.ps_recv;
        stats.kernel_dropped = ps.ps_drop;
        stats.interface_dropped = ps.ps_ifdrop;
      }
    }
    std::lock_guard<std::mutex> lock(capture->stats_mu_);
    capture->published_ = stats;
  }

  Capture* capture;
  int link_type;
  CaptureStats stats;
  EventWriter writer;
  ConnectionTracker tracker;
  int64_t last_ts = -1;
  int64_t kernel_stats_due = INT64_MIN;  // monotonic µs
  bool consumer_alive = true;
};

Capture::Capture(const CaptureOptions& options, pcap_t* handle, bool live)
    : options_(options),
      handle_(handle),
      live_(live),
      link_type_(pcap_datalink(handle)),
      pool_(std::make_shared<BatchPool>(options.batch_bytes + kBatchReserveBytes,
                                        kSpareBatches * (options.batch_bytes + kBatchReserveBytes))) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Capture::~Capture() {
  Stop();
  Join();
  if (handle_ != nullptr) pcap_close(handle_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void Capture::Start(BatchConsumer* consumer) {
  consumer_ = consumer;
  thread_ = std::thread([this] { Run(); });
}

void Capture::Stop() {
  if (stop_.exchange(true)) return;
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof one);
    (void)ignored;
  }
}

void Capture::Join() {
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

uint64_t Capture::ShareBudget(uint64_t core_held) {
  core_held_.store(core_held, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(stats_mu_);
  return published_.buffered_bytes;
}

CaptureStats Capture::Stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return published_;
}

void Capture::Run() {
  // Named so that top -H and /proc/<pid>/task show the capture's own CPU apart from JS.
  pthread_setname_np(pthread_self(), "tcp-sniffer-cap");
  Loop loop(this, link_type_);
  CaptureStatus status = live_ ? RunLive(&loop) : RunOffline(&loop);
  if (loop.consumer_alive) loop.Flush(true);
  loop.Publish(true);
  consumer_->End(status);
}

CaptureStatus Capture::RunLive(Loop* loop) {
  pollfd fds[2] = {{pcap_get_selectable_fd(handle_), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  int64_t stop_at = -1;  // once Stop() is asked: read until then
  int64_t due = -1;      // when the batch being written is handed over; -1 while it is empty
  int64_t last_hand_over = INT64_MIN / 2;
  int64_t last_packet = MonotonicUs();
  int timeout_ms = kQuietWakeMs;
  for (;;) {
    // Stopping: the wake-up fd stays readable, so wait on the ring alone.
    int ready = poll(fds, stop_at >= 0 ? 1 : 2, timeout_ms);
    int n = ready > 0 && fds[0].revents != 0 ? loop->Read() : 0;
    if (n == PCAP_ERROR) {
      loop->tracker.CloseAll(std::max(WallClockUs(), loop->last_ts));
      return CaptureFailure(CaptureErrorCode::kReadFailed, pcap_geterr(handle_));
    }
    if (n == PCAP_ERROR_BREAK) break;  // the consumer is gone
    int64_t now = MonotonicUs();  // once per wake-up, never per packet
    if (n > 0) last_packet = now;
    if (n == 0) {
      loop->tracker.Advance(WallClockUs());  // quiet link: time still passes
      if (now - last_packet >= kTrimQuietMs * 1000) pool_->Trim();  // the burst's memory goes back
    }
    if (stop_at < 0 && stop_.load(std::memory_order_relaxed)) stop_at = now + kStopGraceMs * 1000;
    // At most one timed hand-over per kHandOverIntervalMs (batch_bytes may fill one sooner, in
    // Read): under load, fewer, larger batches cost less per byte to hand over; on a quiet link the
    // first batch in a while goes at once.
    if (loop->writer.empty()) {
      due = -1;
    } else if (due < 0) {
      due = std::max(now, last_hand_over + kHandOverIntervalMs * 1000);
    }
    // While JS has whole batches to read before this one, a partial batch handed over would reach
    // it no sooner and would take a whole buffer's room in the queue for part of one
    // (docs/performance.md, "conns: full batches while JS is behind"): it keeps filling, and goes
    // when full (in Read) or at the first due time the backlog is gone. Not while shedding (the
    // retry is what ends it) nor once Stop() is asked.
    if (due >= 0 && now >= due && stop_at < 0 && !loop->tracker.shedding() &&
        loop->writer.size() < options_.batch_bytes && consumer_->Backlogged()) {
      due = now + kHandOverIntervalMs * 1000;
    }
    if (due >= 0 && now >= due) {
      loop->Flush(false);
      last_hand_over = now;
      due = loop->writer.empty() ? -1 : now + kHandOverIntervalMs * 1000;  // refused: retry then
    } else if (n == 0) {
      loop->Publish();  // quiet: the counters stay fresh
    }
    if (stop_at >= 0 && now >= stop_at) break;
    timeout_ms = stop_at >= 0 ? kBlockTimeoutMs : kQuietWakeMs;
    if (due >= 0) {
      // While packets flow the next block wakes the thread within kBlockTimeoutMs and the batch goes
      // then: a wake-up of its own for the hand-over would be a second one per block (each costs as
      // much as a few dozen packets here: docs/performance.md, "conns: the capture thread"). So
      // the timer is only a backstop, one block timeout late, for a flow that stopped. Not while
      // shedding: every byte until the retry is lost, so the retry keeps its time.
      bool slack = n > 0 && !loop->tracker.shedding();
      int64_t wait_us = due - now + (slack ? kBlockTimeoutMs * 1000 : 0);
      timeout_ms = std::min<int64_t>(timeout_ms, (wait_us + 999) / 1000);
    }
  }
  loop->tracker.CloseAll(std::max(WallClockUs(), loop->last_ts));
  return CaptureStatus{};
}

CaptureStatus Capture::RunOffline(Loop* loop) {
  CaptureStatus status;
  while (!stop_.load(std::memory_order_relaxed)) {
    int n = loop->Read();
    if (n == 0) break;  // end of file
    if (n == PCAP_ERROR_BREAK) break;  // the consumer is gone
    if (n == PCAP_ERROR) {
      status = CaptureFailure(CaptureErrorCode::kReadFailed, pcap_geterr(handle_));
      break;
    }
  }
  loop->tracker.CloseAll(loop->last_ts);
  return status;
}

}  // namespace capture_shim

// The tracker under test with one writer and its counters, and segments between one client and a
// server on port 80 (shared by the tracker suites).
#ifndef TESTS_CAPTURE_SHIM_TRACKER_FIXTURE_H_
#define TESTS_CAPTURE_SHIM_TRACKER_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "connection_tracker.h"
#include "segment_builder.h"
#include "test_support.h"

namespace capture_shim::testing {

class TrackerTest : public ::testing::Test {
 protected:
  void Make(TrackerConfig config) {
    config_ = config;
    tracker_ = std::make_unique<ConnectionTracker>(config_, &writer_, &stats_);
  }
  void SetUp() override {
    TrackerConfig c;
    c.ports.Add(80);
    Make(c);
  }

  // A segment from the client (port `cport`) to the server (port 80), or back.
  // Segments carry `window` (and, on SYNs, `window_scale`; -1: no option) as the peer advertises.
  void Send(bool from_client, uint32_t seq, uint32_t ack, uint8_t flags, const std::string& data,
            int64_t ts, uint16_t cport = 40000, uint16_t window = 65535, int8_t window_scale = -1) {
    // Only a SYN carries the window-scale option.
    const TcpSegment s = MakeSegment(from_client, cport, seq, ack, flags, data, window,
                                     (flags & kTcpSyn) ? window_scale : -1);
    tracker_->OnSegment(s, ts);
  }
  void Handshake(int64_t ts, uint16_t cport = 40000) {
    Send(true, 100, 0, kTcpSyn, "", ts, cport);
    Send(false, 500, 101, kTcpSyn | kTcpAck, "", ts + 1, cport);
    Send(true, 101, 501, kTcpAck, "", ts + 2, cport);
  }
  std::vector<Event> Events() { return ParseEvents(writer_.data(), writer_.size()); }

  TrackerConfig config_;
  EventWriter writer_;
  CaptureStats stats_;
  std::unique_ptr<ConnectionTracker> tracker_;
};

}  // namespace capture_shim::testing

#endif  // TESTS_CAPTURE_SHIM_TRACKER_FIXTURE_H_

// Decoded TCP segments between one client (10.0.0.1) and a server (10.0.0.2, port 80), as the packet
// decoder hands them to the tracker. Header-only and free of GoogleTest, so that the libFuzzer target
// (tracker_fuzz.cc, built outside CMake) shares it with the tracker suites.
#ifndef TESTS_CAPTURE_SHIM_SEGMENT_BUILDER_H_
#define TESTS_CAPTURE_SHIM_SEGMENT_BUILDER_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "packet_decoder.h"

namespace capture_shim::testing {

constexpr uint32_t kClientIp = 0x0100000a;  // 10.0.0.1 in memory order
constexpr uint32_t kServerIp = 0x0200000a;  // 10.0.0.2
constexpr uint16_t kServerPort = 80;

// A segment from the client's port `client_port` to the server, or back, carrying `window` as its
// sender advertises it and `window_scale` as given (-1: no option).
// REQUIRES: `data` outlives the segment (the segment points into it, as a decoded one points into
// its frame).
inline TcpSegment MakeSegment(bool from_client, uint16_t client_port, uint32_t seq, uint32_t ack,
                              uint8_t flags, const std::string& data, uint16_t window,
                              int8_t window_scale = -1) {
  TcpSegment s;
  s.ip_version = 4;
  std::memcpy(s.src_addr, from_client ? &kClientIp : &kServerIp, 4);
  std::memcpy(s.dst_addr, from_client ? &kServerIp : &kClientIp, 4);
  s.src_port = from_client ? client_port : kServerPort;
  s.dst_port = from_client ? kServerPort : client_port;
  s.seq = seq;
  s.ack = ack;
  s.flags = flags;
  s.window = window;
  s.window_scale = window_scale;
  s.payload = reinterpret_cast<const uint8_t*>(data.data());
  s.payload_len = s.wire_len = static_cast<uint32_t>(data.size());
  return s;
}

}  // namespace capture_shim::testing

#endif  // TESTS_CAPTURE_SHIM_SEGMENT_BUILDER_H_

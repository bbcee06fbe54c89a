// libFuzzer target: the tracker fed four real connections (handshakes with window scaling, in-order
// data both ways, ACKs) with control segments injected between their segments where and as the
// input says: RSTs, bare SYNs and FINs at any sequence number, time passing, and fully arbitrary
// segments. Traps when the event stream breaks its rules (events before open or after close, a
// second close), when memory passes its bounds, or when a connection no arbitrary segment touched
// delivers anything but a piece of what its client and server really sent, in order. Not part of the default
// build (it needs clang); build and run it as capture-shim/README.md ("Fuzzing") shows.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "connection_tracker.h"
#include "segment_builder.h"
#include "stream_event_format.h"

namespace {

using namespace capture_shim;
namespace format = stream_format;

constexpr int kConnections = 4;
constexpr uint16_t kWindow = 509;

struct Model {
  uint32_t seq[2] = {};     // next sequence number, client and server
  std::string sent[2];
  bool tampered = false;    // an arbitrary segment hit it: only the event rules hold then
};

struct Input {
  const uint8_t* p;
  size_t n;
  uint8_t Byte() { return n ? (--n, *p++) : 0; }
  uint32_t Word() { return uint32_t{Byte()} << 24 | uint32_t{Byte()} << 16 | Byte() << 8 | Byte(); }
};

void Send(ConnectionTracker& t, int k, bool from_client, uint32_t seq, uint32_t ack, uint8_t flags,
          const std::string& data, int64_t ts, int8_t scale = -1) {
  t.OnSegment(testing::MakeSegment(from_client, static_cast<uint16_t>(41000 + k), seq, ack, flags, data,
                                   kWindow, scale),
              ts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  TrackerConfig config;
  config.ports.Add(80);
  config.max_connections = 8;
  config.max_buffered_bytes = 64 << 10;
  EventWriter writer;
  CaptureStats stats;
  ConnectionTracker tracker(config, &writer, &stats);
  Model m[kConnections];
  int64_t ts = 1'000'000;
  for (int k = 0; k < kConnections; ++k) {
    m[k].seq[0] = in.Word();
    m[k].seq[1] = in.Word();
    Send(tracker, k, true, m[k].seq[0]++, 0, kTcpSyn, "", ts, 7);
    Send(tracker, k, false, m[k].seq[1]++, m[k].seq[0], kTcpSyn | kTcpAck, "", ts, 7);
    Send(tracker, k, true, m[k].seq[0], m[k].seq[1], kTcpAck, "", ts);
  }
  while (in.n > 0) {
    uint8_t op = in.Byte();
    int k = (op >> 3) % kConnections;
    Model& c = m[k];
    ts += 1000;
    switch (op & 7) {
      case 0:
      case 1: {  // data one way, acknowledged by the other
        int dir = op & 1;
        std::string bytes(1 + in.Byte() % 200, static_cast<char>('a' + (op >> 5)));
        Send(tracker, k, dir == 0, c.seq[dir], c.seq[1 - dir], kTcpAck | kTcpPsh, bytes, ts);
        c.seq[dir] += static_cast<uint32_t>(bytes.size());
        c.sent[dir] += bytes;
        Send(tracker, k, dir != 0, c.seq[1 - dir], c.seq[dir], kTcpAck, "", ts);
        break;
      }
      case 2:  // a RST from the client, anywhere
        Send(tracker, k, true, c.seq[0] + in.Word(), 0, kTcpRst, "", ts);
        break;
      case 3:  // a bare SYN anywhere, and the server's challenge ACK
        Send(tracker, k, true, in.Word(), 0, kTcpSyn, "", ts, 7);
        Send(tracker, k, false, c.seq[1], c.seq[0], kTcpAck, "", ts);
        break;
      case 4:  // a FIN from the client, anywhere
        Send(tracker, k, true, c.seq[0] + in.Word(), c.seq[1], kTcpAck | kTcpFin, "", ts);
        break;
      case 5: {  // anything at all, from either side
        uint8_t flags = in.Byte();
        uint32_t seq = in.Word(), ack = in.Word();
        std::string bytes(in.Byte() % 64, 'z');
        Send(tracker, k, flags & 0x40, seq, ack, flags & 0x1f, bytes, ts, 14);
        c.tampered = true;
        break;
      }
      case 6:
        ts += int64_t{in.Byte()} * 100'000;
        tracker.Advance(ts);
        break;
      default:  // capture time goes back a little (captures are not always in time order)
        ts -= 1500;
        break;
    }
    if (tracker.active_connections() > config.max_connections) __builtin_trap();
    if (tracker.buffered_bytes() > config.max_buffered_bytes) __builtin_trap();
  }
  tracker.CloseAll(ts);
  // The rules of docs/internals.md §1, and each untampered stream a piece of the truth.
  std::map<uint64_t, int> state;  // 1 open, 2 closed
  std::map<uint64_t, int> conn_of;
  std::map<uint64_t, std::string> got[2];
  const uint8_t* p = writer.data();
  for (size_t off = 0; off + format::kHeaderSize <= writer.size();) {
    format::EventHeader h = format::DecodeHeader(p + off);
    const uint8_t* body = p + off + format::kHeaderSize;
    if (h.len > writer.size() - off - format::kHeaderSize) __builtin_trap();
    off += format::kHeaderSize + h.len;
    if (h.kind == static_cast<uint8_t>(format::EventKind::kOpen)) {
      if (state.count(h.conn)) __builtin_trap();
      state[h.conn] = 1;
      conn_of[h.conn] = format::LoadLe16(body + format::kOpenClientPortOffset) - 41000;
      continue;
    }
    if (state[h.conn] != 1) __builtin_trap();  // before open, or after close
    if (h.kind == static_cast<uint8_t>(format::EventKind::kClose)) state[h.conn] = 2;
    if (h.arg > 1 && h.kind != static_cast<uint8_t>(format::EventKind::kClose)) __builtin_trap();
    if (h.kind == static_cast<uint8_t>(format::EventKind::kData)) {
      got[h.arg][h.conn].append(reinterpret_cast<const char*>(body), h.len);
    }
    if (h.kind == static_cast<uint8_t>(format::EventKind::kGap)) got[h.arg][h.conn] += '\0';
  }
  for (auto& [id, s] : state) {
    if (s != 2) __builtin_trap();  // CloseAll closes every announced connection
    int k = conn_of[id];
    if (k < 0 || k >= kConnections || m[k].tampered) continue;
    for (int d = 0; d < 2; ++d) {
      // A FIN held ahead at the close leaves a gap up to it; nothing else may be lost. A connection
      // closed (by an in-window RST, or idle) and picked up again mid-stream holds a later piece.
      std::string& bytes = got[d][id];
      while (!bytes.empty() && bytes.back() == '\0') bytes.pop_back();
      if (m[k].sent[d].find(bytes) == std::string::npos) __builtin_trap();
    }
  }
  if (tracker.active_connections() != 0 || tracker.buffered_bytes() != 0) __builtin_trap();
  return 0;
}

// The counters of one capture, as the addon's stats(h) returns them (names are the JS keys, see
// README.md). Written by one thread only (the capture thread); others read published copies.
#ifndef CAPTURE_SHIM_CAPTURE_STATS_H_
#define CAPTURE_SHIM_CAPTURE_STATS_H_

#include <cstdint>

#include "reassembler.h"

namespace capture_shim {

struct CaptureStats {
  // Packets, as libpcap handed them over.
  uint64_t packets_seen = 0;
  uint64_t packets_decoded = 0;        // TCP segments decoded
  uint64_t packets_not_tcp = 0;
  uint64_t packets_malformed = 0;
  uint64_t packets_fragmented = 0;     // IP fragments, skipped
  uint64_t packets_other_ports = 0;    // TCP, but neither port is in `ports`
  uint64_t packets_unsampled = 0;      // on connections sampling left out
  uint64_t packets_without_connection = 0;  // pure ACK/FIN/RST of a connection not tracked
  uint64_t packets_after_close = 0;    // stragglers of a connection closed by FIN/RST moments ago
  uint64_t rst_ignored = 0;            // RSTs outside the receiver's window: the connection goes on
  uint64_t syn_ignored = 0;            // SYNs their receiver did not take (no SYN-ACK for them)
  // The kernel's view (live only): libpcap's ps_recv / ps_drop / ps_ifdrop.
  uint64_t kernel_received = 0;
  uint64_t kernel_dropped = 0;
  uint64_t interface_dropped = 0;
  // Connections.
  uint64_t connections_tracked = 0;    // ever created
  uint64_t connections_active = 0;     // in the table now
  uint64_t connections_evicted = 0;    // by the maxConcurrentConnections LRU
  uint64_t connections_idle_closed = 0;
  uint64_t connections_unsampled = 0;  // SYNs of connections sampling left out
  uint64_t connections_shed = 0;       // never announced to JS because the queue was full
  // Bytes.
  ReassemblyStats reassembly;          // delivered, retransmitted, duplicate, out of order, gap
  uint64_t bytes_shed = 0;             // turned into gaps because JS fell behind
  uint64_t buffered_bytes = 0;         // held out of order now
  // Batches.
  uint64_t batches_delivered = 0;
  uint64_t batches_refused = 0;        // hand-overs refused because the queue was full (live)
};

// Calls fn(name, value) for every counter, with the JS key names.
template <typename Fn>
void ForEachCounter(const CaptureStats& s, Fn&& fn) {
  fn("packetsSeen", s.packets_seen);
  fn("packetsDecoded", s.packets_decoded);
  fn("packetsNotTcp", s.packets_not_tcp);
  fn("packetsMalformed", s.packets_malformed);
  fn("packetsFragmented", s.packets_fragmented);
  fn("packetsOtherPorts", s.packets_other_ports);
  fn("packetsUnsampled", s.packets_unsampled);
  fn("packetsWithoutConnection", s.packets_without_connection);
  fn("packetsAfterClose", s.packets_after_close);
  fn("rstIgnored", s.rst_ignored);
  fn("synIgnored", s.syn_ignored);
  fn("finIgnored", s.reassembly.fins_ignored);
  fn("kernelReceived", s.kernel_received);
  fn("kernelDropped", s.kernel_dropped);
  fn("interfaceDropped", s.interface_dropped);
  fn("connectionsTracked", s.connections_tracked);
  fn("connectionsActive", s.connections_active);
  fn("connectionsEvicted", s.connections_evicted);
  fn("connectionsIdleClosed", s.connections_idle_closed);
  fn("connectionsUnsampled", s.connections_unsampled);
  fn("connectionsShed", s.connections_shed);
  fn("bytesDelivered", s.reassembly.bytes_delivered);
  fn("bytesRetransmitted", s.reassembly.bytes_retransmitted);
  fn("bytesDuplicate", s.reassembly.bytes_duplicate);
  fn("bytesOutOfOrder", s.reassembly.bytes_out_of_order);
  fn("bytesGap", s.reassembly.bytes_gap);
  fn("holesSkipped", s.reassembly.holes_skipped);
  fn("segmentsOutOfWindow", s.reassembly.segments_out_of_window);
  fn("holdersCut", s.reassembly.holders_cut);
  fn("bytesShed", s.bytes_shed);
  fn("bufferedBytes", s.buffered_bytes);
  fn("batchesDelivered", s.batches_delivered);
  fn("batchesRefused", s.batches_refused);
}

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_CAPTURE_STATS_H_

// Decodes one captured frame down to its TCP segment: link layer, IPv4/IPv6, TCP.
//
// Pure and allocation-free: it only reads the frame it is given, checking every read against the
// captured length, and points into that frame for the payload. Untrusted bytes never make it read
// past `caplen`; anything that does not add up is reported as kMalformed.
#ifndef CAPTURE_SHIM_PACKET_DECODER_H_
#define CAPTURE_SHIM_PACKET_DECODER_H_

#include <cstddef>
#include <cstdint>

namespace capture_shim {

// libpcap's DLT_* values as pcap_datalink() returns them (files' LINKTYPE_* are mapped by libpcap).
enum LinkType : int {
  kLinkNull = 0,        // DLT_NULL: 4-byte address family in the capturing host's byte order
  kLinkEthernet = 1,    // DLT_EN10MB, with 802.1Q / 802.1ad (QinQ) tags
  kLinkRaw = 12,        // DLT_RAW on Linux
  kLinkRawBsd = 14,     // DLT_RAW on some BSDs
  kLinkRawFile = 101,   // LINKTYPE_RAW, should libpcap ever pass it through unmapped
  kLinkLoop = 108,      // DLT_LOOP: 4-byte address family in network byte order
  kLinkLinuxSll = 113,  // DLT_LINUX_SLL: Linux cooked v1
  kLinkIpv4 = 228,      // DLT_IPV4
  kLinkIpv6 = 229,      // DLT_IPV6
  kLinkLinuxSll2 = 276, // DLT_LINUX_SLL2: Linux cooked v2 (the `any` device)
};

// Whether DecodeFrame understands this link type.
bool IsSupportedLinkType(int link_type);

enum class DecodeStatus {
  kTcp,          // `out` holds a TCP segment
  kNotTcp,       // a well-formed frame that is not TCP over IP (ARP, UDP, ICMP, ...)
  kFragment,     // an IP fragment: counted and skipped (TCP over fragmented IP is rare and unsafe)
  kMalformed,    // truncated header, impossible length, bad version, ...
  kUnsupportedLink,
};

struct TcpSegment {
  uint8_t ip_version = 0;     // 4 or 6
  uint8_t src_addr[16] = {};  // IPv4 in the first 4 bytes, rest zero
  uint8_t dst_addr[16] = {};
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;          // kTcpFin | kTcpSyn | ...
  uint16_t window = 0;        // the advertised window, unscaled as on the wire
  int8_t window_scale = -1;   // a SYN's window-scale option (0-14), -1 when absent or not a SYN
  const uint8_t* payload = nullptr;  // points into the frame; valid while the frame is
  uint32_t payload_len = 0;   // captured payload bytes
  uint32_t wire_len = 0;      // payload bytes the segment carried on the wire (>= payload_len when
                              // the capture was cut by the snap length)
};

constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpAck = 0x10;

// Decodes `frame` (the `caplen` bytes libpcap captured) of the given link type.
// `wire_len` is the frame's original length (pcap_pkthdr.len); it tells a snap-length cut from a lie.
// REQUIRES: frame points to at least caplen readable bytes (or caplen == 0).
DecodeStatus DecodeFrame(int link_type, const uint8_t* frame, size_t caplen, size_t wire_len,
                         TcpSegment* out);

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_PACKET_DECODER_H_

#include "packet_decoder.h"

#include <algorithm>
#include <cstring>

namespace capture_shim {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88A8;
constexpr uint16_t kEtherQinQOld = 0x9100;
// More tags than any real network stacks; a frame with more is garbage, not a deeper stack.
constexpr int kMaxVlanTags = 4;
constexpr int kMaxIpv6ExtensionHeaders = 8;

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}

// A bounded view of the frame: every read goes through `Has`.
struct Frame {
  const uint8_t* data;
  size_t caplen;
  size_t wire_len;
  bool Has(size_t offset, size_t n) const { return offset <= caplen && n <= caplen - offset; }
};

// RFC 7323: a shift above 14 is read as 14.
constexpr uint8_t kMaxWindowScale = 14;
// Linux writes 0 in an IP length field whose packet is longer than the field can say (BIG TCP:
// GSO packets past 64 KiB); such a packet is taken at the length the capture header gives.
constexpr size_t kIpLengthFieldMax = 65535;

// The window-scale option of a SYN, or -1. Options are [from, to) of the frame.
int8_t WindowScaleOption(const Frame& f, size_t from, size_t to) {
  for (size_t i = from; i < to;) {
    uint8_t kind = f.data[i];
    if (kind == 0) break;              // end of options
    if (kind == 1) { ++i; continue; }  // no-op
    if (to - i < 2) break;
    uint8_t len = f.data[i + 1];
    if (len < 2 || len > to - i) break;  // a broken list: trust nothing after it
    if (kind == 3 && len == 3) return static_cast<int8_t>(std::min(f.data[i + 2], kMaxWindowScale));
    i += len;
  }
  return -1;
}

// Network layer identified by the link layer.
enum class Network { kIpv4, kIpv6, kByVersionNibble, kOther };

DecodeStatus DecodeTcp(const Frame& f, size_t l4, size_t ip_end_captured, size_t ip_end_wire,
                       TcpSegment* out) {
  if (ip_end_captured < l4 || ip_end_captured - l4 < 20) return DecodeStatus::kMalformed;
  const uint8_t* t = f.data + l4;
  size_t header_len = size_t{static_cast<uint8_t>(t[12] >> 4)} * 4;
  if (header_len < 20 || header_len > ip_end_captured - l4) return DecodeStatus::kMalformed;
  out->src_port = Be16(t);
  out->dst_port = Be16(t + 2);
  out->seq = Be32(t + 4);
  out->ack = Be32(t + 8);
  out->flags = t[13];
  out->window = Be16(t + 14);
  out->window_scale = (out->flags & kTcpSyn) ? WindowScaleOption(f, l4 + 20, l4 + header_len) : -1;
  size_t payload_off = l4 + header_len;
  out->payload = f.data + payload_off;
  out->payload_len = static_cast<uint32_t>(ip_end_captured - payload_off);
  out->wire_len = static_cast<uint32_t>(ip_end_wire - payload_off);
  return DecodeStatus::kTcp;
}

// Where the IP packet really ends: `ip_len` bytes from `l3` by its own header. Ethernet padding past
// it is ignored; a packet longer than what was captured is fine only when the snap length cut it.
bool IpBounds(const Frame& f, size_t l3, size_t ip_len, size_t* end_captured, size_t* end_wire) {
  size_t avail = f.caplen - l3;
  if (ip_len <= avail) {
    *end_captured = l3 + ip_len;
    *end_wire = l3 + ip_len;
    return true;
  }
  if (f.wire_len <= f.caplen) return false;  // not cut by the snap length: the header lies
  if (ip_len - avail > f.wire_len - f.caplen) return false;  // claims more than the wire carried
  *end_captured = f.caplen;
  *end_wire = l3 + ip_len;
  return true;
}

DecodeStatus DecodeIpv4(const Frame& f, size_t l3, TcpSegment* out) {
  if (!f.Has(l3, 20)) return DecodeStatus::kMalformed;
  const uint8_t* ip = f.data + l3;
  if ((ip[0] >> 4) != 4) return DecodeStatus::kMalformed;
  size_t ihl = size_t{static_cast<uint8_t>(ip[0] & 0x0F)} * 4;
  size_t total = Be16(ip + 2);
  if (total == 0 && f.wire_len - l3 > kIpLengthFieldMax) total = f.wire_len - l3;
  if (ihl < 20 || total < ihl || !f.Has(l3, ihl)) return DecodeStatus::kMalformed;
  size_t end_captured, end_wire;
  if (!IpBounds(f, l3, total, &end_captured, &end_wire)) return DecodeStatus::kMalformed;
  uint16_t frag = Be16(ip + 6);
  bool more_fragments = frag & 0x2000;
  uint16_t frag_offset = frag & 0x1FFF;
  if (more_fragments || frag_offset != 0) return DecodeStatus::kFragment;
  if (ip[9] != 6) return DecodeStatus::kNotTcp;
  out->ip_version = 4;
  std::memset(out->src_addr, 0, 16);
  std::memset(out->dst_addr, 0, 16);
  std::memcpy(out->src_addr, ip + 12, 4);
  std::memcpy(out->dst_addr, ip + 16, 4);
  return DecodeTcp(f, l3 + ihl, end_captured, end_wire, out);
}

DecodeStatus DecodeIpv6(const Frame& f, size_t l3, TcpSegment* out) {
  if (!f.Has(l3, 40)) return DecodeStatus::kMalformed;
  const uint8_t* ip = f.data + l3;
  if ((ip[0] >> 4) != 6) return DecodeStatus::kMalformed;
  size_t payload_len = Be16(ip + 4);
  // Zero is a jumbogram (RFC 2675), which no link we capture on carries, or a BIG TCP GSO packet,
  // which Linux hands to the capture with the field 0 (as for IPv4) and no jumbo option: taken at
  // the capture header's length when that is past what the field can say, else malformed.
  if (payload_len == 0 && f.wire_len - l3 > 40 + kIpLengthFieldMax) {
    payload_len = f.wire_len - l3 - 40;
  }
  if (payload_len == 0) return DecodeStatus::kMalformed;
  size_t end_captured, end_wire;
  if (!IpBounds(f, l3, 40 + payload_len, &end_captured, &end_wire)) return DecodeStatus::kMalformed;
  uint8_t next = ip[6];
  size_t off = l3 + 40;
  for (int i = 0; i <= kMaxIpv6ExtensionHeaders; ++i) {
    switch (next) {
      case 6:
        out->ip_version = 6;
        std::memcpy(out->src_addr, ip + 8, 16);
        std::memcpy(out->dst_addr, ip + 24, 16);
        return DecodeTcp(f, off, end_captured, end_wire, out);
      case 0:    // hop-by-hop options
      case 43:   // routing
      case 60: { // destination options
        if (off + 8 > end_captured) return DecodeStatus::kMalformed;
        size_t len = (size_t{f.data[off + 1]} + 1) * 8;
        next = f.data[off];
        off += len;
        break;
      }
      case 44: {  // fragment
        if (off + 8 > end_captured) return DecodeStatus::kMalformed;
        uint16_t frag = Be16(f.data + off + 2);
        bool more_fragments = frag & 1;
        uint16_t frag_offset = frag >> 3;
        if (more_fragments || frag_offset != 0) return DecodeStatus::kFragment;
        next = f.data[off];  // an atomic fragment (RFC 6946): the whole packet is here
        off += 8;
        break;
      }
      case 51: {  // authentication header: its length is in 4-byte units, minus 2
        if (off + 8 > end_captured) return DecodeStatus::kMalformed;
        size_t len = (size_t{f.data[off + 1]} + 2) * 4;
        next = f.data[off];
        off += len;
        break;
      }
      default:
        return DecodeStatus::kNotTcp;  // UDP, ICMPv6, ESP, no-next-header, ...
    }
    if (off > end_captured) return DecodeStatus::kMalformed;
  }
  return DecodeStatus::kMalformed;  // a chain longer than any real stack builds
}

DecodeStatus DecodeNetwork(const Frame& f, size_t l3, Network network, TcpSegment* out) {
  if (network == Network::kByVersionNibble) {
    if (!f.Has(l3, 1)) return DecodeStatus::kMalformed;
    uint8_t version = f.data[l3] >> 4;
    if (version == 4) network = Network::kIpv4;
    else if (version == 6) network = Network::kIpv6;
    else return DecodeStatus::kMalformed;
  }
  switch (network) {
    case Network::kIpv4: return DecodeIpv4(f, l3, out);
    case Network::kIpv6: return DecodeIpv6(f, l3, out);
    default: return DecodeStatus::kNotTcp;
  }
}

Network FromEtherType(uint16_t type) {
  if (type == kEtherIpv4) return Network::kIpv4;
  if (type == kEtherIpv6) return Network::kIpv6;
  return Network::kOther;
}

bool IsVlanTag(uint16_t type) {
  return type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld;
}

// Skips 802.1Q/802.1ad tags starting at `*type_off` (the offset of an EtherType field).
bool SkipVlanTags(const Frame& f, size_t* type_off) {
  for (int i = 0; i < kMaxVlanTags; ++i) {
    if (!f.Has(*type_off, 2)) return false;
    if (!IsVlanTag(Be16(f.data + *type_off))) return true;
    *type_off += 4;  // TCI (2) + the next EtherType
  }
  return f.Has(*type_off, 2) && !IsVlanTag(Be16(f.data + *type_off));
}

DecodeStatus DecodeEtherTyped(const Frame& f, size_t type_off, TcpSegment* out) {
  if (!SkipVlanTags(f, &type_off)) return DecodeStatus::kMalformed;
  return DecodeNetwork(f, type_off + 2, FromEtherType(Be16(f.data + type_off)), out);
}

// BSD address families: AF_INET is 2 everywhere; AF_INET6 differs by OS.
Network FromAddressFamily(uint32_t family) {
  if (family == 2) return Network::kIpv4;
  if (family == 10 || family == 24 || family == 28 || family == 30) return Network::kIpv6;
  return Network::kOther;
}

DecodeStatus DecodeNullHeader(const Frame& f, TcpSegment* out) {
  if (!f.Has(0, 4)) return DecodeStatus::kMalformed;
  // The family is in the capturing host's byte order (DLT_NULL) or network order (DLT_LOOP, though
  // some writers get that wrong too). Families are small numbers, so the order whose value fits in
  // 16 bits is the right one.
  uint32_t le = Le32(f.data);
  uint32_t family = le <= 0xFFFF ? le : Be32(f.data);
  return DecodeNetwork(f, 4, FromAddressFamily(family), out);
}

}  // namespace

bool IsSupportedLinkType(int link_type) {
  switch (link_type) {
    case kLinkNull: case kLinkEthernet: case kLinkRaw: case kLinkRawBsd: case kLinkRawFile:
    case kLinkLoop: case kLinkLinuxSll: case kLinkIpv4: case kLinkIpv6: case kLinkLinuxSll2:
      return true;
    default:
      return false;
  }
}

DecodeStatus DecodeFrame(int link_type, const uint8_t* frame, size_t caplen, size_t wire_len,
                         TcpSegment* out) {
  Frame f{frame, frame == nullptr ? 0 : caplen, wire_len < caplen ? caplen : wire_len};
  switch (link_type) {
    case kLinkEthernet:
      if (!f.Has(0, 14)) return DecodeStatus::kMalformed;
      return DecodeEtherTyped(f, 12, out);
    case kLinkLinuxSll:
      if (!f.Has(0, 16)) return DecodeStatus::kMalformed;
      return DecodeEtherTyped(f, 14, out);
    case kLinkLinuxSll2:
      if (!f.Has(0, 20)) return DecodeStatus::kMalformed;
      // SLL2 keeps the protocol first and the rest of its 20 bytes after it.
      if (IsVlanTag(Be16(f.data))) {
        size_t type_off = 20 + 2;  // a tag left in the payload: TCI, then the inner EtherType
        if (!SkipVlanTags(f, &type_off)) return DecodeStatus::kMalformed;
        return DecodeNetwork(f, type_off + 2, FromEtherType(Be16(f.data + type_off)), out);
      }
      return DecodeNetwork(f, 20, FromEtherType(Be16(f.data)), out);
    case kLinkNull:
    case kLinkLoop:
      return DecodeNullHeader(f, out);
    case kLinkRaw:
    case kLinkRawBsd:
    case kLinkRawFile:
      return DecodeNetwork(f, 0, Network::kByVersionNibble, out);
    case kLinkIpv4:
      return DecodeNetwork(f, 0, Network::kIpv4, out);
    case kLinkIpv6:
      return DecodeNetwork(f, 0, Network::kIpv6, out);
    default:
      return DecodeStatus::kUnsupportedLink;
  }
}

}  // namespace capture_shim

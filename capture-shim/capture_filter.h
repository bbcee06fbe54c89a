// The BPF program text for a live capture. It only narrows what the kernel copies to us: the shim
// applies the port filter itself after decoding, so a packet the BPF lets through by excess is
// dropped (and counted) there.
#ifndef CAPTURE_SHIM_CAPTURE_FILTER_H_
#define CAPTURE_SHIM_CAPTURE_FILTER_H_

#include <cstdint>
#include <string>
#include <vector>

namespace capture_shim {

// `ports` empty: every TCP packet. `link_type` is the handle's DLT: only Ethernet carries 802.1Q
// tags in the frame (libpcap has no VLAN support for the cooked headers of the `any` device).
// `loopback_index` non-zero (cooked v2 only, the `any` device): packets sent on that interface are
// rejected first, since the same packets come back as received ones (loopback_copies.h).
std::string BuildCaptureFilter(const std::vector<uint16_t>& ports, int link_type,
                               unsigned loopback_index);

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_CAPTURE_FILTER_H_

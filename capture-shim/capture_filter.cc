#include "capture_filter.h"

#include "packet_decoder.h"

namespace capture_shim {

std::string BuildCaptureFilter(const std::vector<uint16_t>& ports, int link_type,
                               unsigned loopback_index) {
  std::string tcp;
  if (ports.empty()) {
    tcp = "tcp";
  } else {
    tcp = "(";
    for (size_t i = 0; i < ports.size(); ++i) {
      if (i > 0) tcp += " or ";
      tcp += "tcp port " + std::to_string(ports[i]);
    }
    tcp += ")";
  }
  // `tcp port P` matches IPv6 only when TCP is the first next header, so a TCP segment behind
  // extension headers (hop-by-hop, routing, fragment, destination options, AH) would be filtered
  // out unseen. `ip6 protochain 6` would follow the chain but costs a loop in every packet's
  // filter run; instead any IPv6 packet whose first next header is an extension header passes
  // (they are rare) and the decoder walks the chain and applies the ports.
  const std::string ipv6_extended =
      "(ip6 and (ip6[6] == 0 or ip6[6] == 43 or ip6[6] == 44 or ip6[6] == 60 or ip6[6] == 51))";
  std::string untagged = "(" + tcp + " or " + ipv6_extended + ")";
  if (link_type == kLinkLinuxSll2 && loopback_index != 0) {
    // First, so that the twin is rejected after two loads rather than a walk of its headers.
    return "not (ifindex " + std::to_string(loopback_index) + " and outbound) and " + untagged;
  }
  if (link_type != kLinkEthernet) return untagged;
  // `vlan` shifts the offsets of everything after it, so it must come last.
  return untagged + " or (vlan and " + untagged + ")";
}

}  // namespace capture_shim

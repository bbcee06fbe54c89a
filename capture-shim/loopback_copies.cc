#include "loopback_copies.h"

#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sys/socket.h>


namespace capture_shim {
namespace {

// The first device libpcap flags as loopback whose name is `device`, or any such device when
// `device` is empty; "" when none.
std::string FindLoopback(const std::string& device) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_if_t* devs = nullptr;
  if (pcap_findalldevs(&devs, errbuf) != 0) return "";
  std::string found;
  for (pcap_if_t* d = devs; d != nullptr && found.empty(); d = d->next) {
    if ((d->flags & PCAP_IF_LOOPBACK) != 0 && (device.empty() || device == d->name)) found = d->name;
  }
  pcap_freealldevs(devs);
  return found;
}

}  // namespace

bool IsLoopbackDevice(const std::string& device) {
  return !device.empty() && !FindLoopback(device).empty();
}

unsigned LoopbackIndex() {
  std::string name = FindLoopback("");
  return name.empty() ? 0 : if_nametoindex(name.c_str());
}

void IgnoreOutgoing(pcap_t* handle) {
  int one = 1;
  setsockopt(pcap_fileno(handle), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
}

}  // namespace capture_shim

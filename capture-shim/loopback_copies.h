// A loopback device hands every packet to a packet socket twice: once as it is sent (PACKET_OUTGOING)
// and once as it is received (PACKET_HOST), the same bytes. libpcap 1.10 keeps both in the kernel's
// ring and throws the outgoing copy away in user space, so the ring, the kernel's drop count and the
// capture thread carry every loopback packet twice. These make the kernel keep one copy:
//
// - On a loopback device itself: the socket option PACKET_IGNORE_OUTGOING (Linux 4.20), on the
//   handle's socket. Every outgoing packet on that device is the twin of an incoming one.
// - On `any`: only loopback's outgoing copies are twins (a veth's or an Ethernet device's outgoing
//   packets are the only copy of the traffic the host sends), so the BPF program rejects those by
//   interface index and packet type. That needs the cooked v2 link type, whose header carries both:
//   libpcap maps those header fields to the kernel's packet metadata in the program it installs, and
//   reads them from the header it builds when it runs the program itself.
//
// Why not a filter (`inbound`) on the loopback device: libpcap 1.10 runs the program again in user
// space over the first ring block after pcap_setfilter, where the packet type of an Ethernet-framed
// link cannot be read, so every packet of that block would be rejected; and pcap_setdirection is
// applied only in user space. docs/internals.md §3 ("Loopback") has the evidence.
#ifndef CAPTURE_SHIM_LOOPBACK_COPIES_H_
#define CAPTURE_SHIM_LOOPBACK_COPIES_H_

#include <string>

typedef struct pcap pcap_t;

namespace capture_shim {

// Whether libpcap lists `device` as a loopback device (PCAP_IF_LOOPBACK). False for `any`.
bool IsLoopbackDevice(const std::string& device);

// The interface index of this network namespace's loopback device, or 0 when there is none.
unsigned LoopbackIndex();

// Makes the kernel stop handing `handle` outgoing packets. REQUIRES: an activated live handle on a
// loopback device (elsewhere it would lose the host's own traffic). A kernel before 4.20 refuses
// the option; nothing is lost then, as libpcap still drops the copies, in user space.
void IgnoreOutgoing(pcap_t* handle);

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_LOOPBACK_COPIES_H_

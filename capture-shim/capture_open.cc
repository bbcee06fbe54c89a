// Opening a capture: the interface or the file, libpcap's settings, the filter (capture.h).
#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "capture.h"
#include "capture_filter.h"
#include "loopback_copies.h"
#include "packet_decoder.h"

namespace capture_shim {
namespace {

// libpcap reads a file through stdio, whose own buffer is the file system's block (4 KiB): a read()
// system call every two or three MTU-sized packets. This buffer makes it one per MiB.
constexpr size_t kOfflineReadBufferBytes = 1 << 20;

}  // namespace

CaptureStatus CaptureFailure(CaptureErrorCode code, std::string message) {
  CaptureStatus s;
  s.code = code;
  s.message = std::move(message);
  return s;
}

const char* CaptureErrorName(CaptureErrorCode code) {
  switch (code) {
    case CaptureErrorCode::kNone: return "OK";
    case CaptureErrorCode::kInterfaceNotFound: return "INTERFACE_NOT_FOUND";
    case CaptureErrorCode::kFileNotFound: return "FILE_NOT_FOUND";
    case CaptureErrorCode::kOpenFailed: return "CAPTURE_OPEN_FAILED";
    case CaptureErrorCode::kFilterFailed: return "FILTER_FAILED";
    case CaptureErrorCode::kReadFailed: return "CAPTURE_READ_FAILED";
  }
  return "UNKNOWN";
}

std::vector<std::string> ListInterfaces(std::string* error) {
  std::vector<std::string> names;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_if_t* devs = nullptr;
  if (pcap_findalldevs(&devs, errbuf) != 0) {
    *error = errbuf;
    return names;
  }
  for (pcap_if_t* d = devs; d != nullptr; d = d->next) names.emplace_back(d->name);
  pcap_freealldevs(devs);
  return names;
}

std::unique_ptr<Capture> Capture::Open(const CaptureOptions& o, CaptureStatus* status) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = nullptr;
  bool live = o.file.empty();
  std::unique_ptr<char[]> read_buffer;  // outlives the FILE: pcap_close closes it
  if (!live) {
    FILE* f = fopen(o.file.c_str(), "rb");
    if (f == nullptr) {
      int err = errno;
      *status = err == ENOENT || err == ENOTDIR
                    ? CaptureFailure(CaptureErrorCode::kFileNotFound, o.file + ": no such file")
                    : CaptureFailure(CaptureErrorCode::kOpenFailed, o.file + ": " + std::strerror(err));
      return nullptr;
    }
    read_buffer.reset(new char[kOfflineReadBufferBytes]);
    setvbuf(f, read_buffer.get(), _IOFBF, kOfflineReadBufferBytes);
    p = pcap_fopen_offline(f, errbuf);
    if (p == nullptr) {
      fclose(f);
      *status = CaptureFailure(CaptureErrorCode::kOpenFailed, errbuf);
      return nullptr;
    }
  } else {
    std::string list_error;
    std::vector<std::string> names = ListInterfaces(&list_error);
    bool found = false;
    for (const std::string& n : names) found = found || n == o.interface;
    if (!found && list_error.empty()) {
      *status = CaptureFailure(CaptureErrorCode::kInterfaceNotFound,
                        "interface \"" + o.interface + "\" does not exist");
      status->interfaces = std::move(names);
      return nullptr;
    }
    p = pcap_create(o.interface.c_str(), errbuf);
    if (p == nullptr) {
      *status = CaptureFailure(CaptureErrorCode::kOpenFailed, errbuf);
      return nullptr;
    }
    pcap_set_snaplen(p, o.snaplen);
    pcap_set_promisc(p, 0);  // a sidecar sees its pod's own traffic; promiscuity is not needed
    // Not immediate mode: on Linux that keeps TPACKET_V3, where the kernel fills whole blocks and
    // wakes the reader once per block instead of once per packet. The block timeout bounds how
    // long a packet waits in a block that is not full.
    pcap_set_immediate_mode(p, 0);
    pcap_set_timeout(p, kBlockTimeoutMs);
    pcap_set_buffer_size(p, o.buffer_bytes);
    int rc = pcap_activate(p);
    if (rc < 0) {
      std::string message = pcap_geterr(p);
      if (message.empty()) message = pcap_statustostr(rc);
      pcap_close(p);
      *status = CaptureFailure(CaptureErrorCode::kOpenFailed, message);
      return nullptr;
    }
  }
  // Loopback packets reach a packet socket twice (loopback_copies.h): keep one in the kernel.
  unsigned loopback_index = 0;
  if (live && o.interface == "any") {
    // Cooked v2 carries the interface index the filter needs; libpcap before 1.10 has no v2 and
    // keeps v1, with both copies in the ring.
    if (pcap_set_datalink(p, kLinkLinuxSll2) == 0) loopback_index = LoopbackIndex();
  } else if (live && IsLoopbackDevice(o.interface)) {
    IgnoreOutgoing(p);
  }
  int link = pcap_datalink(p);
  if (!IsSupportedLinkType(link)) {
    const char* name = pcap_datalink_val_to_name(link);
    std::string message = "unsupported link type " + std::to_string(link) +
                          (name ? std::string(" (") + name + ")" : std::string());
    pcap_close(p);
    *status = CaptureFailure(CaptureErrorCode::kOpenFailed, message);
    return nullptr;
  }
  if (live) {
    std::string text = BuildCaptureFilter(o.ports, link, loopback_index);
    bpf_program program;
    if (pcap_compile(p, &program, text.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_setfilter(p, &program) != 0) {
      std::string message = pcap_geterr(p);
      pcap_close(p);
      *status = CaptureFailure(CaptureErrorCode::kFilterFailed, message + " (filter: " + text + ")");
      return nullptr;
    }
    pcap_freecode(&program);
    if (pcap_setnonblock(p, 1, errbuf) != 0) {
      pcap_close(p);
      *status = CaptureFailure(CaptureErrorCode::kOpenFailed, errbuf);
      return nullptr;
    }
  }
  *status = CaptureStatus{};
  std::unique_ptr<Capture> capture(new Capture(o, p, live));
  capture->read_buffer_ = std::move(read_buffer);
  return capture;
}

}  // namespace capture_shim

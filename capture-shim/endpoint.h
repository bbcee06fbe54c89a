// One side of a TCP connection as the flow table knows it.
#ifndef CAPTURE_SHIM_ENDPOINT_H_
#define CAPTURE_SHIM_ENDPOINT_H_

#include <cstdint>

namespace capture_shim {

struct Endpoint {
  uint8_t addr[16] = {};  // IPv4 in the first 4 bytes, rest zero
  uint16_t port = 0;
};

}  // namespace capture_shim

#endif  // CAPTURE_SHIM_ENDPOINT_H_

// The WHATWG URL host rules for IP literals, so the injector rejects exactly the hosts that the
// sidecar's `new URL()` rejects (a value the injector admits but the sidecar refuses makes the sidecar
// exit at start and the Pod crash-loop). Domain names are checked by the caller (forbidden code
// points); these functions decide only the numeric forms.
#ifndef INJECTOR_URL_HOST_H_
#define INJECTOR_URL_HOST_H_

#include <string_view>

namespace injector {

// True when WHATWG reads `host` as IPv4: its last label (ignoring one trailing '.') is all decimal
// digits, or "0x"/"0X" followed by hex digits. Such a host must then pass IsValidIpv4Host.
bool EndsInNumber(std::string_view host);

// WHATWG IPv4 parsing: 1-4 '.'-separated numbers (decimal, 0-prefixed octal, 0x-prefixed hex), an
// optional trailing '.', every number but the last at most 255, the last below 256^(5 - count).
bool IsValidIpv4Host(std::string_view host);

// WHATWG IPv6 parsing of the text between '[' and ']': eight 1-4 digit hex pieces, one "::" at most,
// optionally ending in a dotted IPv4 address (four plain decimals 0-255, no leading zeros). No zone.
bool IsValidIpv6Literal(std::string_view literal);

}  // namespace injector

#endif  // INJECTOR_URL_HOST_H_

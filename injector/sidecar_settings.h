// Eligibility and per-pod settings: decides from a Pod and the injector's options whether the sidecar
// is added, and with what. Pure: no I/O, no clock, no global state (docs/injector.md, "Tests and
// benchmark": the golden files test it whole).
#ifndef INJECTOR_SIDECAR_SETTINGS_H_
#define INJECTOR_SIDECAR_SETTINGS_H_

#include "injector_options.h"

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace injector {

inline constexpr const char* kInjectLabel = "tcp-sniffer.io/inject";
inline constexpr const char* kInjectedAnnotation = "tcp-sniffer.io/injected";
inline constexpr const char* kNativeSidecarAnnotation = "tcp-sniffer.io/native-sidecar";
// The pod volume holding the collector's CA bundle (options' collectorCa), and where the sidecar sees it.
inline constexpr const char* kCollectorCaVolume = "tcp-sniffer-collector-ca";
inline constexpr const char* kCollectorCaMountPath = "/etc/tcp-sniffer/collector-ca";
inline constexpr const char* kCollectorCaFile = "ca.crt";

// Everything the patch needs that depends on the pod.
struct SidecarSettings {
  std::string ports;                       // normalized comma list for PORTS
  std::map<std::string, std::string> env;  // options' defaults with the pod's annotations applied
  bool native_sidecar = false;
  bool pod_has_grace_period = false;
  std::int64_t grace_period_seconds = 30;  // the pod's, or the options' when the pod has none
  std::int64_t drain_timeout_ms = 25000;   // grace period minus 5 s, at least 1 s
  std::vector<std::string> warnings;       // admitted with the sidecar, but something to say
  std::uint32_t metrics_port = 0;          // the sidecar's METRICS_PORT; 0 = metrics off (set by the patch)
};

// The pod is admitted unchanged. `warnings` go back to the user (kubectl prints them); an empty list
// means skipping is expected (not labelled, already injected).
struct SkipSidecar {
  std::string reason;  // short and stable, for logs: not-labelled, already-injected, ...
  std::vector<std::string> warnings;
};

using SettingsResult = std::variant<SidecarSettings, SkipSidecar>;

SettingsResult ResolveSidecarSettings(const boost::json::object& pod, const InjectorOptions& options);

// A value from the request, made safe to quote in a warning: printable ASCII, at most 40 characters.
std::string QuoteForWarning(std::string_view value);

}  // namespace injector

#endif  // INJECTOR_SIDECAR_SETTINGS_H_

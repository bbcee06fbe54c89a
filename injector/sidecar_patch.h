// The JSON Patch (RFC 6902) that adds the sniffer sidecar to a Pod: a pure function of (pod, options),
// so that it can be tested alone against golden files (fixtures/admission/).
#ifndef INJECTOR_SIDECAR_PATCH_H_
#define INJECTOR_SIDECAR_PATCH_H_

#include "injector_options.h"
#include "sidecar_settings.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace injector {

struct PatchDecision {
  bool injected = false;
  std::string reason;                 // "injected", or SkipSidecar::reason
  boost::json::array patch;           // empty unless injected
  std::vector<std::string> warnings;  // for AdmissionReview response.warnings
};

// REQUIRES: `options` came from the options loader (valid).
PatchDecision DecideSidecarPatch(const boost::json::object& pod, const InjectorOptions& options);

// The sidecar container itself (exposed for tests and docs).
boost::json::object BuildSidecarContainer(const SidecarSettings& settings, const InjectorOptions& options);

// The pod volume that carries the collector's CA bundle (exposed for tests and docs).
boost::json::object BuildCollectorCaVolume(const CollectorCa& ca);

// RFC 6901 escaping of one reference token: "~" → "~0", "/" → "~1".
std::string EscapeJsonPointerToken(std::string_view token);

}  // namespace injector

#endif  // INJECTOR_SIDECAR_PATCH_H_

#include "sidecar_settings.h"

#include "value_rules.h"

#include <algorithm>
#include <set>

namespace injector {
namespace json = boost::json;
namespace {

constexpr const char* kWarningPrefix = "tcp-sniffer: sidecar not injected: ";

struct AnnotationRule {
  const char* annotation;
  const char* library_key;
  const char* env_name;  // nullptr: not an env variable (ports are handled on their own)
  bool quote_value;      // false for values that may hold secrets
};

const AnnotationRule kAnnotationRules[] = {
    {"tcp-sniffer.io/ports", "ports", nullptr, true},
    {"tcp-sniffer.io/output-url", "outputUrl", "OUTPUT_URL", false},
    {"tcp-sniffer.io/interface", "interface", "INTERFACE", true},
    {"tcp-sniffer.io/sample-rate", "sampleRate", "SAMPLE_RATE", true},
    {"tcp-sniffer.io/max-body-size", "maxBodySize", "MAX_BODY_SIZE", true},
    {"tcp-sniffer.io/redact-query-params", "redactQueryParams", "REDACT_QUERY_PARAMS", true},
    {"tcp-sniffer.io/redact-body-fields", "redactBodyFields", "REDACT_BODY_FIELDS", true},
    {"tcp-sniffer.io/http-allow-url", "httpAllowUrl", "HTTP_ALLOW_URL", true},
    {"tcp-sniffer.io/http-disallow-url", "httpDisallowUrl", "HTTP_DISALLOW_URL", true},
    {"tcp-sniffer.io/http-allow-method", "httpAllowMethod", "HTTP_ALLOW_METHOD", true},
    {"tcp-sniffer.io/http-allow-host", "httpAllowHost", "HTTP_ALLOW_HOST", true},
};

const json::object* ObjectAt(const json::object& parent, std::string_view key) {
  const json::value* v = parent.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

const json::array* ArrayAt(const json::object& parent, std::string_view key) {
  const json::value* v = parent.if_contains(key);
  return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

bool StringEquals(const json::object* obj, std::string_view key, std::string_view expected) {
  if (obj == nullptr) return false;
  const json::value* v = obj->if_contains(key);
  return v != nullptr && v->is_string() && v->get_string() == expected;
}

bool HasContainerNamed(const json::array* containers, std::string_view name) {
  if (containers == nullptr) return false;
  for (const auto& c : *containers) {
    if (c.is_object() && StringEquals(&c.get_object(), "name", name)) return true;
  }
  return false;
}

// The pod's declared TCP containerPorts (protocol absent or TCP), deduplicated, in declaration order.
std::string DeclaredTcpPorts(const json::array& containers) {
  std::set<std::int64_t> seen;
  std::string out;
  for (const auto& c : containers) {
    if (!c.is_object()) continue;
    const json::array* ports = ArrayAt(c.get_object(), "ports");
    if (ports == nullptr) continue;
    for (const auto& p : *ports) {
      if (!p.is_object()) continue;
      const auto& port = p.get_object();
      const json::value* protocol = port.if_contains("protocol");
      if (protocol != nullptr && !(protocol->is_string() && protocol->get_string() == "TCP")) continue;
      const json::value* number = port.if_contains("containerPort");
      if (number == nullptr || !number->is_int64()) continue;
      std::int64_t n = number->get_int64();
      if (n < 1 || n > 65535 || !seen.insert(n).second) continue;
      if (!out.empty()) out.push_back(',');
      out += std::to_string(n);
    }
  }
  return out;
}

SkipSidecar Skip(std::string reason, std::vector<std::string> warnings = {}) {
  return SkipSidecar{std::move(reason), std::move(warnings)};
}

}  // namespace

std::string QuoteForWarning(std::string_view value) {
  constexpr std::size_t kMax = 40;
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    out.push_back(c >= 0x20 && c < 0x7f && c != '"' ? static_cast<char>(c) : '?');
  }
  if (value.size() > kMax) out += "...";
  out.push_back('"');
  return out;
}

SettingsResult ResolveSidecarSettings(const json::object& pod, const InjectorOptions& options) {
  const json::object* metadata = ObjectAt(pod, "metadata");
  const json::object* labels = metadata ? ObjectAt(*metadata, "labels") : nullptr;
  const json::object* annotations = metadata ? ObjectAt(*metadata, "annotations") : nullptr;

  if (!StringEquals(labels, kInjectLabel, "true")) return Skip("not-labelled");
  if (StringEquals(annotations, kInjectedAnnotation, "true")) return Skip("already-injected");

  const json::object* spec = ObjectAt(pod, "spec");
  const json::array* containers = spec ? ArrayAt(*spec, "containers") : nullptr;
  if (containers == nullptr) {
    return Skip("malformed-pod", {std::string(kWarningPrefix) + "the pod has no spec.containers list"});
  }
  if (HasContainerNamed(containers, options.sidecar_name) ||
      HasContainerNamed(ArrayAt(*spec, "initContainers"), options.sidecar_name)) {
    return Skip("sidecar-present");
  }
  if (const json::value* host = spec->if_contains("hostNetwork"); host && host->is_bool() && host->get_bool()) {
    return Skip("host-network", {std::string(kWarningPrefix) +
                                 "the pod uses hostNetwork, so the sidecar would capture the node's traffic"});
  }

  if (options.collector_ca) {
    if (const json::array* volumes = ArrayAt(*spec, "volumes")) {
      for (const auto& v : *volumes) {
        if (v.is_object() && StringEquals(&v.get_object(), "name", kCollectorCaVolume)) {
          return Skip("volume-name-taken", {std::string(kWarningPrefix) + "the pod already has a volume named " +
                                            kCollectorCaVolume + " (the injector mounts the collector CA under that name)"});
        }
      }
    }
  }

  SidecarSettings s;
  s.env = options.env;
  s.native_sidecar = options.native_sidecar;
  std::vector<std::string> invalid;

  auto annotation = [&](std::string_view key) -> const json::value* {
    return annotations ? annotations->if_contains(key) : nullptr;
  };
  for (const auto& rule : kAnnotationRules) {
    const json::value* v = annotation(rule.annotation);
    if (v == nullptr) continue;
    std::optional<ValueCheck> check;
    if (v->is_string()) check = CheckValue(rule.library_key, v->get_string());
    const char* https_rule = CollectorHttpsRule(options);
    if (check && check->valid && rule.env_name != nullptr && std::string_view(rule.env_name) == "OUTPUT_URL" &&
        https_rule != nullptr && IsHttpUrl(check->normalized)) {
      check = ValueCheck{false, https_rule, {}};
    }
    if (!check || !check->valid) {
      std::string rule_text = check ? check->rule : "must be a string";
      std::string what = std::string("annotation ") + rule.annotation;
      if (rule.quote_value && v->is_string()) what += " " + QuoteForWarning(v->get_string());
      invalid.push_back(std::string(kWarningPrefix) + what + " is invalid: " + rule_text);
      continue;
    }
    if (rule.env_name == nullptr) s.ports = check->normalized;
    else s.env[rule.env_name] = check->normalized;
  }
  if (const json::value* v = annotation(kNativeSidecarAnnotation)) {
    std::optional<ValueCheck> check;
    if (v->is_string()) check = CheckValue("outputStdout", v->get_string());  // the same "true or false"
    if (!check || !check->valid) {
      std::string quoted = v->is_string() ? " " + QuoteForWarning(v->get_string()) : "";
      invalid.push_back(std::string(kWarningPrefix) + "annotation " + kNativeSidecarAnnotation + quoted +
                        " is invalid: true or false");
    } else {
      s.native_sidecar = check->normalized == "true";
    }
  }
  if (!invalid.empty()) return Skip("invalid-annotation", std::move(invalid));

  if (s.ports.empty()) s.ports = DeclaredTcpPorts(*containers);
  if (s.ports.empty()) {
    return Skip("no-ports", {std::string(kWarningPrefix) +
                             "no tcp-sniffer.io/ports annotation and no TCP containerPort declared"});
  }

  s.grace_period_seconds = options.termination_grace_period_seconds;
  if (const json::value* g = spec->if_contains("terminationGracePeriodSeconds"); g && g->is_int64() && g->get_int64() >= 0) {
    s.pod_has_grace_period = true;
    s.grace_period_seconds = g->get_int64();
  }
  // The sidecar's drain must end before the kubelet's SIGKILL at the end of the grace period.
  // Capped at the sidecar's own maximum (value_rules.h): a longer grace period would otherwise give
  // a DRAIN_TIMEOUT_MS that the sidecar refuses at start.
  constexpr std::int64_t kMaxDrainSeconds = static_cast<std::int64_t>(kMaxTimeoutMs / 1000);
  std::int64_t drain_seconds = std::min<std::int64_t>(s.grace_period_seconds, kMaxDrainSeconds + 5) - 5;
  s.drain_timeout_ms = drain_seconds < 1 ? 1000 : drain_seconds * 1000;
  return s;
}

}  // namespace injector

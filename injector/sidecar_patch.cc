#include "sidecar_patch.h"

namespace injector {
namespace json = boost::json;
namespace {

json::object EnvValue(std::string_view name, std::string_view value) {
  return json::object{{"name", name}, {"value", value}};
}

json::object EnvField(std::string_view name, std::string_view field_path) {
  return json::object{{"name", name}, {"valueFrom", {{"fieldRef", {{"fieldPath", field_path}}}}}};
}

json::object ResourceList(const std::map<std::string, std::string>& list) {
  json::object out;
  for (const auto& [name, quantity] : list) out[name] = quantity;
  return out;
}

// Whether `obj[key]` holds an object (`want_array` false) or an array; anything else there (absent,
// null, a wrong type) is replaced whole by the patch, so the paths below it stay valid.
bool Holds(const json::object* obj, std::string_view key, bool want_array) {
  if (obj == nullptr) return false;
  const json::value* v = obj->if_contains(key);
  return v != nullptr && (want_array ? v->is_array() : v->is_object());
}

json::object Op(std::string_view path, json::value value) {
  return json::object{{"op", "add"}, {"path", path}, {"value", std::move(value)}};
}

// The sidecar's metrics port, unless a container of the pod declares it: the sidecar shares the pod's
// network namespace, and a port already taken would make it exit at start.
std::uint32_t MetricsPortFor(const json::object& spec, const InjectorOptions& options,
                             std::vector<std::string>& warnings) {
  if (options.metrics_port == 0) return 0;
  for (const char* list : {"containers", "initContainers"}) {
    const json::value* containers = spec.if_contains(list);
    if (containers == nullptr || !containers->is_array()) continue;
    for (const auto& c : containers->get_array()) {
      const json::value* ports = c.is_object() ? c.get_object().if_contains("ports") : nullptr;
      if (ports == nullptr || !ports->is_array()) continue;
      for (const auto& p : ports->get_array()) {
        const json::value* n = p.is_object() ? p.get_object().if_contains("containerPort") : nullptr;
        if (n != nullptr && n->is_int64() && n->get_int64() == options.metrics_port) {
          const json::value* name = c.get_object().if_contains("name");
          warnings.push_back("tcp-sniffer: sidecar metrics off: port " + std::to_string(options.metrics_port) +
                             " is declared by container " +
                             QuoteForWarning(name != nullptr && name->is_string() ? std::string_view(name->get_string())
                                                                              : std::string_view()));
          return 0;
        }
      }
    }
  }
  return options.metrics_port;
}

// The usual scrape annotations, unless the pod already says how (or whether) it is scraped.
bool AddsScrapeAnnotations(const json::object* metadata) {
  const json::value* annotations = metadata != nullptr ? metadata->if_contains("annotations") : nullptr;
  if (annotations == nullptr || !annotations->is_object()) return true;
  for (const char* key : {"prometheus.io/scrape", "prometheus.io/port", "prometheus.io/path"}) {
    if (annotations->get_object().contains(key)) return false;
  }
  return true;
}

}  // namespace

std::string EscapeJsonPointerToken(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out.push_back(c);
  }
  return out;
}

json::object BuildSidecarContainer(const SidecarSettings& settings, const InjectorOptions& options) {
  json::array env;
  env.push_back(EnvValue("PORTS", settings.ports));
  for (const auto& name : ConfigurableEnvNames()) {
    auto it = settings.env.find(name);
    if (it != settings.env.end()) env.push_back(EnvValue(name, it->second));
  }
  if (options.production) env.push_back(EnvValue("TCP_SNIFFER_PRODUCTION", "1"));
  if (options.collector_ca) {
    env.push_back(EnvValue("NODE_EXTRA_CA_CERTS", std::string(kCollectorCaMountPath) + "/" + kCollectorCaFile));
  }
  env.push_back(EnvValue("DRAIN_TIMEOUT_MS", std::to_string(settings.drain_timeout_ms)));
  if (settings.metrics_port != 0) env.push_back(EnvValue("METRICS_PORT", std::to_string(settings.metrics_port)));
  if (options.token_secret) {
    // optional: a missing Secret must never block the pod; the sidecar then sends no token.
    env.push_back(json::object{
        {"name", "OUTPUT_URL_AUTH_TOKEN"},
        {"valueFrom",
         {{"secretKeyRef",
           {{"name", options.token_secret->name}, {"key", options.token_secret->key}, {"optional", true}}}}}});
  }
  env.push_back(EnvField("POD_NAME", "metadata.name"));
  env.push_back(EnvField("NAMESPACE", "metadata.namespace"));
  env.push_back(EnvField("NODE_NAME", "spec.nodeName"));
  env.push_back(EnvField("POD_IP", "status.podIP"));

  json::object container{
      {"name", options.sidecar_name},
      {"image", options.image},
      {"imagePullPolicy", options.image_pull_policy},
      {"env", std::move(env)},
      {"resources", {{"requests", ResourceList(options.requests)}, {"limits", ResourceList(options.limits)}}},
      // Root with only NET_RAW: Kubernetes has no ambient capabilities, so a non-root process would
      // not hold NET_RAW (docs/injector.md, "What the patch adds").
      {"securityContext",
       {{"runAsUser", 0},
        {"runAsNonRoot", false},
        {"privileged", false},
        {"allowPrivilegeEscalation", false},
        {"readOnlyRootFilesystem", true},
        {"capabilities", {{"drop", json::array{"ALL"}}, {"add", json::array{"NET_RAW"}}}}}},
      {"terminationMessagePolicy", "FallbackToLogsOnError"},
  };
  if (options.collector_ca) {
    container["volumeMounts"] = json::array{
        json::object{{"name", kCollectorCaVolume}, {"mountPath", kCollectorCaMountPath}, {"readOnly", true}}};
  }
  if (settings.metrics_port != 0) {
    container["ports"] = json::array{
        json::object{{"name", "metrics"}, {"containerPort", settings.metrics_port}, {"protocol", "TCP"}}};
  }
  if (settings.native_sidecar) container["restartPolicy"] = "Always";
  return container;
}

json::object BuildCollectorCaVolume(const CollectorCa& ca) {
  // optional: a missing ConfigMap or Secret must never block the pod; the sidecar then trusts only the
  // system's CAs and its deliveries fail, counted and logged.
  json::array items{json::object{{"key", ca.key}, {"path", kCollectorCaFile}}};
  json::object source = ca.source == "secret"
                            ? json::object{{"secretName", ca.name}, {"items", std::move(items)}, {"optional", true}}
                            : json::object{{"name", ca.name}, {"items", std::move(items)}, {"optional", true}};
  return json::object{{"name", kCollectorCaVolume}, {ca.source, std::move(source)}};
}

PatchDecision DecideSidecarPatch(const json::object& pod, const InjectorOptions& options) {
  PatchDecision decision;
  SettingsResult resolved = ResolveSidecarSettings(pod, options);
  if (auto* skip = std::get_if<SkipSidecar>(&resolved)) {
    decision.reason = skip->reason;
    decision.warnings = std::move(skip->warnings);
    return decision;
  }
  auto& settings = std::get<SidecarSettings>(resolved);

  const json::value* metadata_value = pod.if_contains("metadata");
  const json::object* metadata = metadata_value && metadata_value->is_object() ? &metadata_value->get_object() : nullptr;
  const json::object& spec = pod.at("spec").get_object();  // ResolveSidecarSettings checked it

  settings.metrics_port = MetricsPortFor(spec, options, settings.warnings);
  json::array& ops = decision.patch;
  json::object container = BuildSidecarContainer(settings, options);
  if (!settings.native_sidecar) {
    ops.push_back(Op("/spec/containers/-", std::move(container)));
  } else if (Holds(&spec, "initContainers", true)) {
    // First, so that it starts before (and stops after) every other init container and the app.
    ops.push_back(Op("/spec/initContainers/0", std::move(container)));
  } else {
    ops.push_back(Op("/spec/initContainers", json::array{std::move(container)}));
  }

  if (options.collector_ca) {
    json::object volume = BuildCollectorCaVolume(*options.collector_ca);
    if (Holds(&spec, "volumes", true)) ops.push_back(Op("/spec/volumes/-", std::move(volume)));
    else ops.push_back(Op("/spec/volumes", json::array{std::move(volume)}));
  }

  json::object annotations{{kInjectedAnnotation, "true"}};
  if (settings.metrics_port != 0 && AddsScrapeAnnotations(metadata)) {
    annotations["prometheus.io/scrape"] = "true";
    annotations["prometheus.io/port"] = std::to_string(settings.metrics_port);
    annotations["prometheus.io/path"] = "/metrics";
  }
  if (metadata == nullptr) {
    ops.push_back(Op("/metadata", {{"annotations", std::move(annotations)}}));
  } else if (!Holds(metadata, "annotations", false)) {
    ops.push_back(Op("/metadata/annotations", std::move(annotations)));
  } else {
    for (const auto& kv : annotations) {
      ops.push_back(Op("/metadata/annotations/" + EscapeJsonPointerToken(kv.key()), kv.value()));
    }
  }

  if (!settings.pod_has_grace_period) {
    ops.push_back(Op("/spec/terminationGracePeriodSeconds", settings.grace_period_seconds));
  }
  decision.injected = true;
  decision.reason = "injected";
  decision.warnings = std::move(settings.warnings);
  return decision;
}

}  // namespace injector

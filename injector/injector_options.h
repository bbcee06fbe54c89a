// The injector's options: what the sidecar looks like and how the server behaves. Read from a JSON file
// (`--config`) over built-in defaults; every field is optional, unknown fields are errors. See
// docs/injector.md for the file format.
#ifndef INJECTOR_INJECTOR_OPTIONS_H_
#define INJECTOR_INJECTOR_OPTIONS_H_

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace injector {

struct SecretKeyRef {
  std::string name;
  std::string key;
};

// A ConfigMap or Secret in the pod's namespace holding the collector's CA bundle (PEM).
struct CollectorCa {
  std::string source;  // "configMap" or "secret"
  std::string name;
  std::string key = "ca.crt";
};

struct ServerOptions {
  std::uint64_t max_request_bytes = 3 * 1024 * 1024;  // an AdmissionReview of the largest Pod etcd holds
  std::uint64_t max_in_flight_bytes = 32 * 1024 * 1024;  // all request bodies being read at once
  std::uint32_t max_connections = 256;
  // One peer cannot take every slot; the API server's concurrency to one webhook stays far below it
  // (docs/injector.md, "Connections").
  std::uint32_t max_connections_per_source = 32;
  // The TLS handshake plus the head of the connection's first request, counted from accept; then any
  // request once its first byte arrived.
  std::uint32_t request_timeout_seconds = 10;
  std::uint32_t idle_timeout_seconds = 120;    // between requests; longer than Go's 90 s: the API server closes first
  std::uint32_t drain_timeout_seconds = 20;
  std::uint32_t threads = 2;
  std::string log_level = "info";
};

struct InjectorOptions {
  std::string image = "tcp-sniffer:0.1.0";
  std::string image_pull_policy = "IfNotPresent";
  std::string sidecar_name = "tcp-sniffer";
  std::map<std::string, std::string> requests = {{"cpu", "100m"}, {"memory", "256Mi"}};
  std::map<std::string, std::string> limits = {{"cpu", "500m"}, {"memory", "512Mi"}};
  std::int64_t termination_grace_period_seconds = 30;
  std::optional<SecretKeyRef> token_secret = SecretKeyRef{"tcp-sniffer-token", "token"};
  bool native_sidecar = false;
  // Sidecars run with TCP_SNIFFER_PRODUCTION=1 (https: collector only, default redaction kept).
  bool production = true;
  std::optional<CollectorCa> collector_ca;
  // The sidecar's METRICS_PORT, a container port named "metrics" and the pod's prometheus.io
  // annotations; 0 turns the sidecar's metrics off (docs/injector.md, "Metrics").
  std::uint32_t metrics_port = 9464;
  // Default sidecar environment (the variable names of docs/configuration.md), normalized; pod
  // annotations override some.
  std::map<std::string, std::string> env = {};
  ServerOptions server;
};

// Either the options or an error naming the field and the rule, e.g.
// `resources.limits.cpu: must be a Kubernetes quantity`.
using OptionsResult = std::variant<InjectorOptions, std::string>;

// Options from a parsed JSON document over the defaults.
OptionsResult OptionsFromJson(const boost::json::value& document);

// Options from a file; the error names the file when it cannot be read or parsed.
OptionsResult LoadOptionsFile(const std::string& path);

// The environment variables an options file may set as defaults, in the order the sidecar receives
// them. PORTS, DRAIN_TIMEOUT_MS, TCP_SNIFFER_PRODUCTION, NODE_EXTRA_CA_CERTS, the token and the
// placement variables are the injector's to set.
const std::vector<std::string>& ConfigurableEnvNames();

// The rule an `http:` collector URL breaks under these options: "https: in production", or "https: when
// a token is sent (tokenSecret)"; nullptr when neither applies (development, no token).
const char* CollectorHttpsRule(const InjectorOptions& options);

// True when a normalized collector URL (value_rules.h) is plain http.
bool IsHttpUrl(std::string_view normalized_url);

}  // namespace injector

#endif  // INJECTOR_INJECTOR_OPTIONS_H_

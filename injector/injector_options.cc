#include "injector_options.h"

#include "value_rules.h"

#include <boost/json/parse.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

namespace injector {
namespace json = boost::json;
namespace {

struct EnvRule {
  const char* env_name;
  const char* library_key;  // the shared-case key whose rule applies
};

const EnvRule kEnvRules[] = {
    {"INTERFACE", "interface"},
    {"OUTPUT_URL", "outputUrl"},
    {"OUTPUT_STDOUT", "outputStdout"},
    {"SAMPLE_RATE", "sampleRate"},
    {"MAX_BODY_SIZE", "maxBodySize"},
    {"MAX_CONCURRENT_CONNECTIONS", "maxConcurrentConnections"},
    {"CONNECTION_IDLE_TIMEOUT_MS", "connectionIdleTimeoutMs"},
    {"REDACT_HEADERS", "redactHeaders"},
    {"LOG_LEVEL", "logLevel"},
    {"MAX_BUFFERED_BYTES", "maxBufferedBytes"},
};

// Thrown only inside this file, caught by OptionsFromJson: the error string names the field.
struct OptionError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& field, const std::string& rule) {
  throw OptionError{field + ": " + rule};
}

void RejectUnknown(const json::object& obj, const std::string& where, std::initializer_list<const char*> known) {
  for (const auto& kv : obj) {
    bool ok = false;
    for (const char* k : known) ok = ok || kv.key() == k;
    if (!ok) Fail(where + std::string(kv.key()), "unknown field");
  }
}

const json::object& AsObject(const json::value& v, const std::string& field) {
  if (!v.is_object()) Fail(field, "must be an object");
  return v.get_object();
}

std::string AsString(const json::value& v, const std::string& field) {
  if (!v.is_string()) Fail(field, "must be a string");
  return std::string(v.get_string());
}

std::int64_t AsInteger(const json::value& v, const std::string& field, std::int64_t min, std::int64_t max) {
  // Boost.JSON keeps integers above INT64_MAX as uint64: always out of range here.
  if (!v.is_int64() && !v.is_uint64()) Fail(field, "must be an integer");
  std::int64_t n = v.is_int64() ? v.get_int64() : max;
  if (v.is_uint64() || n < min || n > max) {
    Fail(field, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return n;
}

bool AsBool(const json::value& v, const std::string& field) {
  if (!v.is_bool()) Fail(field, "must be true or false");
  return v.get_bool();
}

// RFC 1123 label: what Kubernetes requires of a container name.
bool IsDnsLabel(const std::string& s) {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return !s.empty() && s.size() <= 63 && std::regex_match(s, re);
}

// RFC 1123 subdomain: what Kubernetes requires of a Secret name.
bool IsDnsSubdomain(const std::string& s) {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return !s.empty() && s.size() <= 253 && std::regex_match(s, re);
}

bool IsSecretKey(const std::string& s) {
  static const std::regex re("[-._a-zA-Z0-9]+");
  return !s.empty() && s.size() <= 253 && std::regex_match(s, re);
}

// Kubernetes resource.Quantity, e.g. 100m, 0.5, 256Mi, 1e3.
bool IsQuantity(const std::string& s) {
  static const std::regex re("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?");
  return !s.empty() && s.size() <= 64 && std::regex_match(s, re) && s.front() != '-';
}

// Image references: no whitespace or control bytes; the registry resolves the rest.
bool IsImageReference(const std::string& s) {
  if (s.empty() || s.size() > 512) return false;
  for (unsigned char c : s) if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

std::map<std::string, std::string> ResourceList(const json::value& v, const std::string& field) {
  std::map<std::string, std::string> out;
  for (const auto& kv : AsObject(v, field)) {
    std::string name(kv.key());
    std::string f = field + "." + name;
    if (name != "cpu" && name != "memory" && name != "ephemeral-storage") {
      Fail(f, "unknown resource (cpu, memory or ephemeral-storage)");
    }
    std::string q = AsString(kv.value(), f);
    if (!IsQuantity(q)) Fail(f, "must be a Kubernetes quantity such as 100m or 256Mi");
    out[name] = q;
  }
  return out;
}

std::map<std::string, std::string> EnvDefaults(const json::value& v) {
  std::map<std::string, std::string> out;
  for (const auto& kv : AsObject(v, "env")) {
    std::string name(kv.key());
    std::string f = "env." + name;
    const EnvRule* rule = nullptr;
    for (const auto& r : kEnvRules) if (name == r.env_name) rule = &r;
    if (name == "TCP_SNIFFER_PRODUCTION") Fail(f, "set by the injector from the production option");
    if (name == "NODE_EXTRA_CA_CERTS") Fail(f, "set by the injector from the collectorCa option");
    if (rule == nullptr) {
      Fail(f, "not a configurable sidecar variable (PORTS, DRAIN_TIMEOUT_MS, OUTPUT_URL_AUTH_TOKEN and the "
              "placement variables are set by the injector)");
    }
    std::string raw = AsString(kv.value(), f);
    auto check = CheckValue(rule->library_key, raw);
    if (!check->valid) Fail(f, check->rule);
    out[name] = check->normalized;
  }
  return out;
}

ServerOptions Server(const json::value& v) {
  ServerOptions s;
  const auto& obj = AsObject(v, "server");
  RejectUnknown(obj, "server.", {"maxRequestBytes", "maxInFlightBytes", "maxConnections", "maxConnectionsPerSource",
                                 "requestTimeoutSeconds", "idleTimeoutSeconds", "drainTimeoutSeconds", "threads",
                                 "logLevel"});
  if (auto* p = obj.if_contains("maxRequestBytes"))
    s.max_request_bytes = AsInteger(*p, "server.maxRequestBytes", 4096, 64LL * 1024 * 1024);
  if (auto* p = obj.if_contains("maxInFlightBytes"))
    s.max_in_flight_bytes = AsInteger(*p, "server.maxInFlightBytes", 4096, 4LL * 1024 * 1024 * 1024);
  if (s.max_in_flight_bytes < s.max_request_bytes) {
    Fail("server.maxInFlightBytes", "must be at least server.maxRequestBytes");
  }
  if (auto* p = obj.if_contains("maxConnections"))
    s.max_connections = AsInteger(*p, "server.maxConnections", 1, 100000);
  if (auto* p = obj.if_contains("maxConnectionsPerSource")) {
    s.max_connections_per_source = AsInteger(*p, "server.maxConnectionsPerSource", 1, 100000);
    if (s.max_connections_per_source > s.max_connections) {
      Fail("server.maxConnectionsPerSource", "must be at most server.maxConnections");
    }
  } else if (s.max_connections_per_source > s.max_connections) {
    s.max_connections_per_source = s.max_connections;
  }
  if (auto* p = obj.if_contains("requestTimeoutSeconds"))
    s.request_timeout_seconds = AsInteger(*p, "server.requestTimeoutSeconds", 1, 300);
  if (auto* p = obj.if_contains("idleTimeoutSeconds"))
    s.idle_timeout_seconds = AsInteger(*p, "server.idleTimeoutSeconds", 1, 3600);
  if (auto* p = obj.if_contains("drainTimeoutSeconds"))
    s.drain_timeout_seconds = AsInteger(*p, "server.drainTimeoutSeconds", 0, 3600);
  if (auto* p = obj.if_contains("threads")) s.threads = AsInteger(*p, "server.threads", 1, 64);
  if (auto* p = obj.if_contains("logLevel")) {
    auto check = CheckValue("logLevel", AsString(*p, "server.logLevel"));
    if (!check->valid) Fail("server.logLevel", check->rule);
    s.log_level = check->normalized;
  }
  return s;
}

CollectorCa CollectorCaOption(const json::value& v) {
  const auto& obj = AsObject(v, "collectorCa");
  RejectUnknown(obj, "collectorCa.", {"configMap", "secret", "key"});
  const json::value* config_map = obj.if_contains("configMap");
  const json::value* secret = obj.if_contains("secret");
  if ((config_map == nullptr) == (secret == nullptr)) Fail("collectorCa", "exactly one of configMap and secret");
  CollectorCa ca;
  ca.source = config_map ? "configMap" : "secret";
  ca.name = AsString(config_map ? *config_map : *secret, "collectorCa." + ca.source);
  if (!IsDnsSubdomain(ca.name)) {
    Fail("collectorCa." + ca.source, std::string("a DNS-1123 subdomain (a ") + (config_map ? "ConfigMap" : "Secret") + " name)");
  }
  if (auto* k = obj.if_contains("key")) ca.key = AsString(*k, "collectorCa.key");
  if (!IsSecretKey(ca.key) || ca.key == "." || ca.key == "..") {
    Fail("collectorCa.key", "a ConfigMap or Secret key (alphanumerics, '-', '_' and '.')");
  }
  return ca;
}

InjectorOptions Parse(const json::value& document) {
  InjectorOptions o;
  const auto& root = AsObject(document, "(options file)");
  RejectUnknown(root, "", {"image", "imagePullPolicy", "sidecarName", "resources", "terminationGracePeriodSeconds",
                           "tokenSecret", "nativeSidecar", "production", "collectorCa", "env", "server",
                           "metricsPort"});
  if (auto* p = root.if_contains("image")) {
    o.image = AsString(*p, "image");
    if (!IsImageReference(o.image)) Fail("image", "non-empty image reference without whitespace");
  }
  if (auto* p = root.if_contains("imagePullPolicy")) {
    o.image_pull_policy = AsString(*p, "imagePullPolicy");
    if (o.image_pull_policy != "Always" && o.image_pull_policy != "IfNotPresent" && o.image_pull_policy != "Never")
      Fail("imagePullPolicy", "Always, IfNotPresent or Never");
  }
  if (auto* p = root.if_contains("sidecarName")) {
    o.sidecar_name = AsString(*p, "sidecarName");
    if (!IsDnsLabel(o.sidecar_name)) Fail("sidecarName", "a DNS-1123 label (lower-case alphanumerics and '-', at most 63)");
  }
  if (auto* p = root.if_contains("resources")) {
    const auto& r = AsObject(*p, "resources");
    RejectUnknown(r, "resources.", {"requests", "limits"});
    if (auto* q = r.if_contains("requests")) o.requests = ResourceList(*q, "resources.requests");
    if (auto* q = r.if_contains("limits")) o.limits = ResourceList(*q, "resources.limits");
  }
  if (auto* p = root.if_contains("terminationGracePeriodSeconds"))
    o.termination_grace_period_seconds = AsInteger(*p, "terminationGracePeriodSeconds", 1, 86400);
  if (auto* p = root.if_contains("tokenSecret")) {
    if (p->is_null()) {
      o.token_secret.reset();
    } else {
      const auto& t = AsObject(*p, "tokenSecret");
      RejectUnknown(t, "tokenSecret.", {"name", "key"});
      SecretKeyRef ref = o.token_secret ? *o.token_secret : SecretKeyRef{"tcp-sniffer-token", "token"};
      if (auto* q = t.if_contains("name")) ref.name = AsString(*q, "tokenSecret.name");
      if (auto* q = t.if_contains("key")) ref.key = AsString(*q, "tokenSecret.key");
      if (!IsDnsSubdomain(ref.name)) Fail("tokenSecret.name", "a DNS-1123 subdomain (a Secret name)");
      if (!IsSecretKey(ref.key)) Fail("tokenSecret.key", "a Secret key (alphanumerics, '-', '_' and '.')");
      o.token_secret = ref;
    }
  }
  if (auto* p = root.if_contains("nativeSidecar")) o.native_sidecar = AsBool(*p, "nativeSidecar");
  if (auto* p = root.if_contains("production")) o.production = AsBool(*p, "production");
  if (auto* p = root.if_contains("collectorCa")) o.collector_ca = CollectorCaOption(*p);
  if (auto* p = root.if_contains("metricsPort")) o.metrics_port = AsInteger(*p, "metricsPort", 0, 65535);
  if (auto* p = root.if_contains("env")) o.env = EnvDefaults(*p);
  if (auto* p = root.if_contains("server")) o.server = Server(*p);
  // The sidecar would refuse this at start and crash-loop every injected pod: refuse it here instead.
  auto url = o.env.find("OUTPUT_URL");
  const char* https_rule = CollectorHttpsRule(o);
  if (url != o.env.end() && https_rule != nullptr && IsHttpUrl(url->second)) Fail("env.OUTPUT_URL", https_rule);
  return o;
}

}  // namespace

const std::vector<std::string>& ConfigurableEnvNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& r : kEnvRules) v.emplace_back(r.env_name);
    return v;
  }();
  return names;
}

const char* CollectorHttpsRule(const InjectorOptions& options) {
  if (options.production) return "https: in production";
  if (options.token_secret) return "https: when a token is sent (tokenSecret)";
  return nullptr;
}

bool IsHttpUrl(std::string_view normalized_url) {
  constexpr std::string_view kHttp = "http:";
  if (normalized_url.size() < kHttp.size()) return false;
  for (std::size_t i = 0; i < kHttp.size(); ++i) {
    char c = normalized_url[i];
    if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != kHttp[i]) return false;
  }
  return true;
}

OptionsResult OptionsFromJson(const json::value& document) {
  try {
    return Parse(document);
  } catch (const OptionError& e) {
    return e.message;
  }
}

OptionsResult LoadOptionsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string("--config: cannot read ") + path;
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > 1024 * 1024) return std::string("--config: ") + path + " is larger than 1 MiB";
  boost::system::error_code ec;
  json::value doc = json::parse(text.str(), ec);
  if (ec) return std::string("--config: ") + path + " is not valid JSON (" + ec.message() + ")";
  return OptionsFromJson(doc);
}

}  // namespace injector

// The options file: defaults, every field, and an error naming the field for every bad value.
#include "injector_options.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace injector {
namespace {
namespace json = boost::json;

OptionsResult FromText(const std::string& text) { return OptionsFromJson(json::parse(text)); }

std::string ErrorOf(const std::string& text) {
  OptionsResult r = FromText(text);
  EXPECT_TRUE(std::holds_alternative<std::string>(r)) << "accepted: " << text;
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string();
}

TEST(InjectorOptions, DefaultsMatchTheIssue) {
  InjectorOptions o = std::get<InjectorOptions>(FromText("{}"));
  EXPECT_EQ(o.requests.at("cpu"), "100m");
  EXPECT_EQ(o.requests.at("memory"), "256Mi");
  EXPECT_EQ(o.limits.at("cpu"), "500m");
  EXPECT_EQ(o.limits.at("memory"), "512Mi");
  EXPECT_EQ(o.termination_grace_period_seconds, 30);
  ASSERT_TRUE(o.token_secret.has_value());
  EXPECT_EQ(o.token_secret->name, "tcp-sniffer-token");
  EXPECT_EQ(o.token_secret->key, "token");
  EXPECT_EQ(o.sidecar_name, "tcp-sniffer");
  EXPECT_FALSE(o.native_sidecar);
  EXPECT_TRUE(o.env.empty());
  EXPECT_TRUE(o.production);
  EXPECT_FALSE(o.collector_ca.has_value());
  EXPECT_EQ(o.server.max_connections_per_source, 32u);
  EXPECT_EQ(o.server.request_timeout_seconds, 10u);
}

TEST(InjectorOptions, ProductionIsTheDefaultAndOnlyTheProductionOptionTurnsItOff) {
  EXPECT_FALSE(std::get<InjectorOptions>(FromText(R"({"production": false})")).production);
  EXPECT_EQ(ErrorOf(R"({"production": "false"})"), "production: must be true or false");
  // One way to say it: the variable is the injector's to set.
  EXPECT_EQ(ErrorOf(R"({"env": {"TCP_SNIFFER_PRODUCTION": "0"}})"),
            "env.TCP_SNIFFER_PRODUCTION: set by the injector from the production option");
}

TEST(InjectorOptions, AnHttpCollectorIsRefusedInProductionOrWithAToken) {
  EXPECT_EQ(ErrorOf(R"({"env": {"OUTPUT_URL": "http://c.example/"}})"), "env.OUTPUT_URL: https: in production");
  EXPECT_EQ(ErrorOf(R"({"production": false, "env": {"OUTPUT_URL": "http://c.example/"}})"),
            "env.OUTPUT_URL: https: when a token is sent (tokenSecret)");
  InjectorOptions dev = std::get<InjectorOptions>(
      FromText(R"({"production": false, "tokenSecret": null, "env": {"OUTPUT_URL": "HTTP://c.example/"}})"));
  EXPECT_EQ(dev.env.at("OUTPUT_URL"), "HTTP://c.example/");
}

TEST(InjectorOptions, ReadsTheCollectorCaFromAConfigMapOrASecret) {
  InjectorOptions c = std::get<InjectorOptions>(FromText(R"({"collectorCa": {"configMap": "collector-ca"}})"));
  ASSERT_TRUE(c.collector_ca.has_value());
  EXPECT_EQ(c.collector_ca->source, "configMap");
  EXPECT_EQ(c.collector_ca->name, "collector-ca");
  EXPECT_EQ(c.collector_ca->key, "ca.crt");
  InjectorOptions s = std::get<InjectorOptions>(FromText(R"({"collectorCa": {"secret": "ca.internal", "key": "bundle.pem"}})"));
  EXPECT_EQ(s.collector_ca->source, "secret");
  EXPECT_EQ(s.collector_ca->key, "bundle.pem");
  EXPECT_EQ(ErrorOf(R"({"collectorCa": {}})"), "collectorCa: exactly one of configMap and secret");
  EXPECT_EQ(ErrorOf(R"({"collectorCa": {"configMap": "a", "secret": "b"}})"), "collectorCa: exactly one of configMap and secret");
  EXPECT_EQ(ErrorOf(R"({"collectorCa": {"configMap": "Bad_Name"}})"), "collectorCa.configMap: a DNS-1123 subdomain (a ConfigMap name)");
  EXPECT_EQ(ErrorOf(R"({"collectorCa": {"secret": "ca", "key": "../x"}})").rfind("collectorCa.key:", 0), 0u);
  EXPECT_EQ(ErrorOf(R"({"collectorCa": {"configMap": "ca", "path": "/x"}})"), "collectorCa.path: unknown field");
}

TEST(InjectorOptions, ReadsEveryField) {
  InjectorOptions o = std::get<InjectorOptions>(FromText(R"({
    "image": "registry.example/tcp-sniffer:1.2.3", "imagePullPolicy": "Always", "sidecarName": "sniffer",
    "resources": {"requests": {"cpu": "0.05", "memory": "64Mi"}, "limits": {"memory": "1Gi"}},
    "terminationGracePeriodSeconds": 90, "tokenSecret": {"name": "creds", "key": "bearer.token"},
    "nativeSidecar": true, "env": {"OUTPUT_URL": " https://c.example/ ", "SAMPLE_RATE": "0.1"},
    "server": {"maxRequestBytes": 65536, "maxInFlightBytes": 131072, "maxConnections": 8, "requestTimeoutSeconds": 2,
               "idleTimeoutSeconds": 30, "drainTimeoutSeconds": 5, "threads": 1, "logLevel": "debug",
               "maxConnectionsPerSource": 4}})"));
  EXPECT_EQ(o.image, "registry.example/tcp-sniffer:1.2.3");
  EXPECT_EQ(o.image_pull_policy, "Always");
  EXPECT_EQ(o.sidecar_name, "sniffer");
  EXPECT_EQ(o.requests.at("cpu"), "0.05");
  EXPECT_EQ(o.limits.size(), 1u);
  EXPECT_EQ(o.termination_grace_period_seconds, 90);
  EXPECT_EQ(o.token_secret->key, "bearer.token");
  EXPECT_TRUE(o.native_sidecar);
  EXPECT_EQ(o.env.at("OUTPUT_URL"), "https://c.example/");
  EXPECT_EQ(o.server.max_request_bytes, 65536u);
  EXPECT_EQ(o.server.max_in_flight_bytes, 131072u);
  EXPECT_EQ(o.server.max_connections, 8u);
  EXPECT_EQ(o.server.max_connections_per_source, 4u);
  EXPECT_EQ(o.server.request_timeout_seconds, 2u);
  EXPECT_EQ(o.server.idle_timeout_seconds, 30u);
  EXPECT_EQ(o.server.drain_timeout_seconds, 5u);
  EXPECT_EQ(o.server.threads, 1u);
  EXPECT_EQ(o.server.log_level, "debug");
}

TEST(InjectorOptions, NullTokenSecretTurnsTheTokenOff) {
  EXPECT_FALSE(std::get<InjectorOptions>(FromText(R"({"tokenSecret": null})")).token_secret.has_value());
}

TEST(InjectorOptions, ErrorsNameTheField) {
  EXPECT_EQ(ErrorOf(R"({"imge": "x"})"), "imge: unknown field");
  EXPECT_EQ(ErrorOf(R"({"image": ""})"), "image: non-empty image reference without whitespace");
  EXPECT_EQ(ErrorOf(R"({"image": 5})"), "image: must be a string");
  EXPECT_EQ(ErrorOf(R"({"imagePullPolicy": "Sometimes"})"), "imagePullPolicy: Always, IfNotPresent or Never");
  EXPECT_EQ(ErrorOf(R"({"sidecarName": "Sniffer_1"})").rfind("sidecarName: a DNS-1123 label", 0), 0u);
  EXPECT_EQ(ErrorOf(R"({"resources": {"limits": {"cpu": "lots"}}})"),
            "resources.limits.cpu: must be a Kubernetes quantity such as 100m or 256Mi");
  EXPECT_EQ(ErrorOf(R"({"resources": {"limits": {"gpu": "1"}}})").rfind("resources.limits.gpu:", 0), 0u);
  EXPECT_EQ(ErrorOf(R"({"resources": {"request": {}}})"), "resources.request: unknown field");
  EXPECT_EQ(ErrorOf(R"({"terminationGracePeriodSeconds": 0})"),
            "terminationGracePeriodSeconds: must be an integer from 1 to 86400");
  EXPECT_EQ(ErrorOf(R"({"terminationGracePeriodSeconds": 30.5})"),
            "terminationGracePeriodSeconds: must be an integer");
  EXPECT_EQ(ErrorOf(R"({"terminationGracePeriodSeconds": 18446744073709551615})"),
            "terminationGracePeriodSeconds: must be an integer from 1 to 86400");
  EXPECT_EQ(ErrorOf(R"({"tokenSecret": {"name": "Bad Name"}})").rfind("tokenSecret.name:", 0), 0u);
  EXPECT_EQ(ErrorOf(R"({"tokenSecret": {"key": "a/b"}})").rfind("tokenSecret.key:", 0), 0u);
  EXPECT_EQ(ErrorOf(R"({"nativeSidecar": "true"})"), "nativeSidecar: must be true or false");
  EXPECT_EQ(ErrorOf(R"({"env": {"SAMPLE_RATE": "2"}})"), "env.SAMPLE_RATE: decimal number in [0, 1]");
  EXPECT_EQ(ErrorOf(R"({"env": {"OUTPUT_URL": "https://u:p@c.example/"}})"), "env.OUTPUT_URL: no credentials in URL");
  EXPECT_EQ(ErrorOf(R"({"env": {"MAX_BUFFERED_BYTES": "1000"}})"), "env.MAX_BUFFERED_BYTES: integer >= 1048576");
  EXPECT_EQ(ErrorOf(R"({"server": {"maxConnectionsPerSource": 0}})"),
            "server.maxConnectionsPerSource: must be an integer from 1 to 100000");
  EXPECT_EQ(ErrorOf(R"({"server": {"maxConnections": 8, "maxConnectionsPerSource": 9}})"),
            "server.maxConnectionsPerSource: must be at most server.maxConnections");
  EXPECT_EQ(ErrorOf(R"({"env": {"PORTS": "80"}})").rfind("env.PORTS: not a configurable sidecar variable", 0), 0u);
  EXPECT_EQ(ErrorOf(R"({"env": {"OUTPUT_URL_AUTH_TOKEN": "s3cret"}})").find("s3cret"), std::string::npos);
  EXPECT_EQ(ErrorOf(R"({"env": {"LOG_LEVEL": 3}})"), "env.LOG_LEVEL: must be a string");
  EXPECT_EQ(ErrorOf(R"({"server": {"threads": 0}})"), "server.threads: must be an integer from 1 to 64");
  EXPECT_EQ(ErrorOf(R"({"server": {"logLevel": "trace"}})"), "server.logLevel: debug, info, warn or error");
  EXPECT_EQ(ErrorOf(R"({"server": {"port": 1}})"), "server.port: unknown field");
  EXPECT_EQ(ErrorOf(R"({"server": {"maxRequestBytes": 1048576, "maxInFlightBytes": 65536}})"),
            "server.maxInFlightBytes: must be at least server.maxRequestBytes");
  EXPECT_EQ(ErrorOf(R"([])"), "(options file): must be an object");
}

TEST(InjectorOptions, FileErrorsNameTheFile) {
  OptionsResult missing = LoadOptionsFile("/nonexistent/options.json");
  ASSERT_TRUE(std::holds_alternative<std::string>(missing));
  EXPECT_EQ(std::get<std::string>(missing), "--config: cannot read /nonexistent/options.json");

  std::string path = ::testing::TempDir() + "/bad-options.json";
  std::ofstream(path) << "{ not json";
  OptionsResult bad = LoadOptionsFile(path);
  ASSERT_TRUE(std::holds_alternative<std::string>(bad));
  EXPECT_EQ(std::get<std::string>(bad).rfind("--config: " + path + " is not valid JSON", 0), 0u);
  std::remove(path.c_str());
}

TEST(InjectorOptions, MetricsPortDefaultsTo9464AndZeroTurnsItOff) {
  EXPECT_EQ(InjectorOptions{}.metrics_port, 9464u);
  EXPECT_EQ(std::get<InjectorOptions>(FromText(R"({"metricsPort": 0})")).metrics_port, 0u);
  EXPECT_EQ(std::get<InjectorOptions>(FromText(R"({"metricsPort": 9100})")).metrics_port, 9100u);
  EXPECT_EQ(ErrorOf(R"({"metricsPort": 65536})"), "metricsPort: must be an integer from 0 to 65535");
  EXPECT_EQ(ErrorOf(R"({"metricsPort": "9464"})"), "metricsPort: must be an integer");
}

}  // namespace
}  // namespace injector

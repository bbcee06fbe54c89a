// Small pieces of patch building that the golden files show only indirectly.
#include "sidecar_patch.h"
#include "sidecar_settings.h"
#include "injector_options.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace injector {
namespace {
namespace json = boost::json;

TEST(SidecarPatch, EscapesJsonPointerTokens) {
  EXPECT_EQ(EscapeJsonPointerToken("tcp-sniffer.io/injected"), "tcp-sniffer.io~1injected");
  EXPECT_EQ(EscapeJsonPointerToken("a~b/c"), "a~0b~1c");
}

TEST(SidecarPatch, QuotesUntrustedValuesSafely) {
  EXPECT_EQ(QuoteForWarning("eth0"), "\"eth0\"");
  EXPECT_EQ(QuoteForWarning("a\"b\nc\xff"), "\"a?b?c?\"");
  EXPECT_EQ(QuoteForWarning(std::string(100, 'x')), "\"" + std::string(40, 'x') + "...\"");
}

TEST(SidecarPatch, DrainEndsBeforeTheGracePeriodWhateverThePodSays) {
  InjectorOptions options;
  auto drain_for = [&](const char* grace) {
    json::object pod = json::parse(std::string(R"({"metadata":{"labels":{"tcp-sniffer.io/inject":"true"}},
        "spec":{"terminationGracePeriodSeconds":)") + grace + R"(,"containers":[{"name":"a","ports":[{"containerPort":80}]}]}})").get_object();
    auto settings = std::get<SidecarSettings>(ResolveSidecarSettings(pod, options));
    return settings.drain_timeout_ms;
  };
  EXPECT_EQ(drain_for("30"), 25000);
  EXPECT_EQ(drain_for("6"), 1000);
  EXPECT_EQ(drain_for("0"), 1000);
  EXPECT_EQ(drain_for("9223372036854775807"), (1'000'000'000LL - 5) * 1000);  // no overflow
}

TEST(SidecarPatch, AnnotationsOfTheWrongTypeAreWarnedAbout) {
  InjectorOptions options;
  json::object pod = json::parse(R"({"metadata":{"labels":{"tcp-sniffer.io/inject":"true"},
      "annotations":{"tcp-sniffer.io/ports":8080}},"spec":{"containers":[{"name":"a"}]}})").get_object();
  PatchDecision d = DecideSidecarPatch(pod, options);
  EXPECT_FALSE(d.injected);
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_EQ(d.warnings[0], "tcp-sniffer: sidecar not injected: annotation tcp-sniffer.io/ports is invalid: must be a string");
}

TEST(SidecarPatch, ContainerPortsThatAreNotTcpOrNotIntegersAreIgnored) {
  InjectorOptions options;
  json::object pod = json::parse(R"({"metadata":{"labels":{"tcp-sniffer.io/inject":"true"}},
      "spec":{"containers":[{"name":"a","ports":[{"containerPort":"80"},{"containerPort":70000},
        {"containerPort":53,"protocol":"UDP"},{"containerPort":8443,"protocol":"TCP"},"junk"]}]}})").get_object();
  auto settings = std::get<SidecarSettings>(ResolveSidecarSettings(pod, options));
  EXPECT_EQ(settings.ports, "8443");
}

// A labelled pod with one declared port, and the annotations given.
json::object Pod(const std::string& annotations = "{}", const std::string& volumes = "") {
  return json::parse(R"({"metadata":{"labels":{"tcp-sniffer.io/inject":"true"},"annotations":)" + annotations +
                     R"(},"spec":{)" + volumes + R"("containers":[{"name":"a","ports":[{"containerPort":80}]}]}})")
      .get_object();
}

InjectorOptions Options(const std::string& text) { return std::get<InjectorOptions>(OptionsFromJson(json::parse(text))); }

const json::value* EnvNamed(const json::object& container, std::string_view name) {
  for (const auto& e : container.at("env").get_array()) {
    if (e.at("name").as_string() == name) return &e;
  }
  return nullptr;
}

TEST(SidecarPatch, InjectedSidecarsRunInProductionUnlessTheOptionsSayOtherwise) {
  SidecarSettings settings = std::get<SidecarSettings>(ResolveSidecarSettings(Pod(), InjectorOptions{}));
  json::object container = BuildSidecarContainer(settings, InjectorOptions{});
  const json::value* production = EnvNamed(container, "TCP_SNIFFER_PRODUCTION");
  ASSERT_NE(production, nullptr);
  EXPECT_EQ(production->at("value"), "1");
  json::object dev = BuildSidecarContainer(settings, Options(R"({"production": false})"));
  EXPECT_EQ(EnvNamed(dev, "TCP_SNIFFER_PRODUCTION"), nullptr);
}

TEST(SidecarPatch, AnHttpOutputUrlAnnotationIsRefusedInProductionOrWithAToken) {
  const std::string http = R"({"tcp-sniffer.io/output-url":"http://collector.example/in"})";
  PatchDecision production = DecideSidecarPatch(Pod(http), InjectorOptions{});
  EXPECT_FALSE(production.injected);
  ASSERT_EQ(production.warnings.size(), 1u);
  EXPECT_EQ(production.warnings[0],
            "tcp-sniffer: sidecar not injected: annotation tcp-sniffer.io/output-url is invalid: https: in production");
  PatchDecision token = DecideSidecarPatch(Pod(http), Options(R"({"production": false})"));
  EXPECT_FALSE(token.injected);
  EXPECT_EQ(token.warnings.at(0), "tcp-sniffer: sidecar not injected: annotation tcp-sniffer.io/output-url is invalid: "
                                  "https: when a token is sent (tokenSecret)");
  // Neither production nor a token: a development cluster may use http:.
  PatchDecision dev = DecideSidecarPatch(Pod(http), Options(R"({"production": false, "tokenSecret": null})"));
  EXPECT_TRUE(dev.injected);
  EXPECT_TRUE(DecideSidecarPatch(Pod(R"({"tcp-sniffer.io/output-url":"https://c.example/"})"), InjectorOptions{}).injected);
}

TEST(SidecarPatch, MountsTheCollectorCaAndPointsNodeAtIt) {
  InjectorOptions options = Options(R"({"collectorCa": {"configMap": "collector-ca", "key": "root.pem"}})");
  PatchDecision d = DecideSidecarPatch(Pod(), options);
  ASSERT_TRUE(d.injected);
  const json::object& container = d.patch.at(0).at("value").get_object();
  EXPECT_EQ(EnvNamed(container, "NODE_EXTRA_CA_CERTS")->at("value"), "/etc/tcp-sniffer/collector-ca/ca.crt");
  EXPECT_EQ(container.at("volumeMounts"), json::parse(R"([{"name":"tcp-sniffer-collector-ca",
      "mountPath":"/etc/tcp-sniffer/collector-ca","readOnly":true}])"));
  json::value volume = json::parse(R"({"name":"tcp-sniffer-collector-ca","configMap":{"name":"collector-ca",
      "items":[{"key":"root.pem","path":"ca.crt"}],"optional":true}})");
  bool found = false;
  for (const auto& op : d.patch) {
    if (op.at("path") == "/spec/volumes") {
      EXPECT_EQ(op.at("value"), json::array{volume});
      found = true;
    }
  }
  EXPECT_TRUE(found);

  // A pod with volumes gets one more; a Secret is mounted the same way.
  PatchDecision s = DecideSidecarPatch(Pod("{}", R"("volumes":[{"name":"data","emptyDir":{}}],)"),
                                       Options(R"({"collectorCa": {"secret": "collector-ca"}})"));
  ASSERT_TRUE(s.injected);
  found = false;
  for (const auto& op : s.patch) {
    if (op.at("path") == "/spec/volumes/-") {
      EXPECT_EQ(op.at("value"), json::parse(R"({"name":"tcp-sniffer-collector-ca","secret":{"secretName":"collector-ca",
          "items":[{"key":"ca.crt","path":"ca.crt"}],"optional":true}})"));
      found = true;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(DecideSidecarPatch(Pod(), InjectorOptions{}).patch.at(0).at("value").get_object().if_contains("volumeMounts"),
            nullptr);

  // The volume name is ours: a pod that already uses it is admitted without the sidecar, and told why.
  PatchDecision taken = DecideSidecarPatch(Pod("{}", R"("volumes":[{"name":"tcp-sniffer-collector-ca","emptyDir":{}}],)"), options);
  EXPECT_FALSE(taken.injected);
  EXPECT_EQ(taken.warnings.at(0), "tcp-sniffer: sidecar not injected: the pod already has a volume named "
                                  "tcp-sniffer-collector-ca (the injector mounts the collector CA under that name)");
}

}  // namespace
}  // namespace injector

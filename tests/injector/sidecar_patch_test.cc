// Small pieces of patch building that the golden files show only indirectly.
#include "sidecar_patch.h"
#include "sidecar_settings.h"

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

}  // namespace
}  // namespace injector

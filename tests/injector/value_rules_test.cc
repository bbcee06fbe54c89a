// Every case of the shared table fixtures/validation/cases.json that the injector can judge: the same
// verdict and the same rule text as the TS library (docs/configuration.md).
#include "value_rules.h"

#include "pretty_json.h"

#include <gtest/gtest.h>

namespace injector {
namespace {
namespace json = boost::json;

TEST(ValueRules, AgreesWithEverySharedCase) {
  json::value cases = testing::ReadJsonFile(std::string(FIXTURES_DIR) + "/validation/cases.json");
  ASSERT_TRUE(cases.is_array());
  int checked = 0;
  for (const auto& c : cases.get_array()) {
    const auto& o = c.get_object();
    std::string key(o.at("key").get_string());
    std::string raw(o.at("raw").get_string());
    // The injector cannot know the sidecar's production setting; each such case has a twin without it.
    if (o.at("production").get_bool()) continue;
    auto check = CheckValue(key, raw);
    if (!check) continue;  // a key the injector never sees (captureFile, outputUrlAuthToken)
    ++checked;
    SCOPED_TRACE(key + " = \"" + raw + "\"");
    EXPECT_EQ(check->valid, o.at("valid").get_bool());
    EXPECT_EQ(check->rule, std::string(o.at("rule").get_string()));
  }
  // The five annotation keys alone have well over a hundred cases; an empty or renamed table must fail.
  EXPECT_GE(checked, 150);
}

TEST(ValueRules, CoversEveryAnnotationKey) {
  for (const char* key : {"ports", "outputUrl", "interface", "sampleRate", "maxBodySize"}) {
    EXPECT_TRUE(CheckValue(key, "x").has_value()) << key;
  }
  EXPECT_FALSE(CheckValue("captureFile", "/tmp/x").has_value());
}

TEST(ValueRules, NormalizesWhatTheSidecarReceives) {
  EXPECT_EQ(CheckValue("ports", " 0080 , 9090")->normalized, "80,9090");
  EXPECT_EQ(CheckValue("outputUrl", " https://c.example/ ")->normalized, "https://c.example/");
  EXPECT_EQ(CheckValue("redactHeaders", "X-Api-Key, Cookie")->normalized, "x-api-key,cookie");
  EXPECT_EQ(CheckValue("logLevel", "WARN")->normalized, "warn");
  EXPECT_EQ(CheckValue("maxBodySize", "00")->normalized, "0");
}

TEST(ValueRules, ChecksPortsRangeBeforeDuplicates) {
  EXPECT_EQ(CheckValue("ports", "80,80,0")->rule, "integers 1-65535");
  EXPECT_EQ(CheckValue("ports", "80,80")->rule, "no duplicates");
}

TEST(ValueRules, RejectsControlBytesInUrlPath) {
  EXPECT_FALSE(CheckValue("outputUrl", "https://c.example/a\r\nb")->valid);
}

}  // namespace
}  // namespace injector

// Golden files for the whole admission answer: for each fixtures/admission/<case>.review.json (with
// optional <case>.options.json), the decoded JSON Patch must equal <case>.patch.json (null when the pod is
// admitted unchanged) and the warnings must equal <case>.warnings.json. The cases are found by listing
// the directory, and a file there that no case produces (a golden left behind by a renamed or removed
// case) fails the set.
//
// Regenerate on purpose, then read the diff:  UPDATE_GOLDEN=1 build/tests/injector/injector_tests
//
// Beyond the golden comparison, each injected patch is applied here (RFC 6902 "add") to prove its paths
// are valid for that pod, and the patched pod is fed back to show the reinvocation is a no-op.
#include "admission_review.h"
#include "injector_options.h"
#include "sidecar_patch.h"

#include "golden_files.h"
#include "patch_apply.h"
#include "pretty_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace injector {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

const std::string kDir = std::string(FIXTURES_DIR) + "/admission/";

std::vector<std::string> CaseNames() { return testing::GoldenCaseNames(kDir); }

class AdmissionGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(AdmissionGolden, MatchesGoldenFiles) {
  const std::string name = GetParam();
  const std::string review_text = testing::ReadFile(kDir + name + ".review.json");
  InjectorOptions options;
  if (fs::exists(kDir + name + ".options.json")) {
    OptionsResult loaded = OptionsFromJson(testing::ReadJsonFile(kDir + name + ".options.json"));
    ASSERT_TRUE(std::holds_alternative<InjectorOptions>(loaded)) << std::get<std::string>(loaded);
    options = std::get<InjectorOptions>(loaded);
  }

  ReviewAnswer answer = AnswerAdmissionReview(review_text, options);
  ASSERT_EQ(answer.status, 200u) << answer.body;
  json::value review = json::parse(review_text);
  json::value response_doc = json::parse(answer.body);
  EXPECT_EQ(response_doc.at("apiVersion"), "admission.k8s.io/v1");
  EXPECT_EQ(response_doc.at("kind"), "AdmissionReview");
  const json::object& response = response_doc.at("response").get_object();
  EXPECT_EQ(response.at("uid"), review.at("request").at("uid"));
  EXPECT_EQ(response.at("allowed"), true);

  json::value patch = nullptr;
  if (const json::value* encoded = response.if_contains("patch")) {
    EXPECT_EQ(response.at("patchType"), "JSONPatch");
    auto decoded = testing::Base64Decode(encoded->get_string());
    ASSERT_TRUE(decoded.has_value());
    patch = json::parse(*decoded);
  } else {
    EXPECT_EQ(response.if_contains("patchType"), nullptr);
  }
  json::value warnings = json::array{};
  if (const json::value* w = response.if_contains("warnings")) warnings = *w;

  if (std::getenv("UPDATE_GOLDEN") != nullptr) {
    std::ofstream(kDir + name + ".patch.json") << testing::PrettyJson(patch);
    std::ofstream(kDir + name + ".warnings.json") << testing::PrettyJson(warnings);
  }
  EXPECT_EQ(patch, testing::ReadJsonFile(kDir + name + ".patch.json")) << "patch: " << testing::PrettyJson(patch);
  EXPECT_EQ(warnings, testing::ReadJsonFile(kDir + name + ".warnings.json")) << testing::PrettyJson(warnings);

  if (patch.is_null()) return;
  // The patch applies to this very pod, and the result carries exactly one sidecar.
  json::value pod = review.at("request").at("object");
  for (const auto& op : patch.get_array()) {
    ASSERT_EQ(op.at("op"), "add");
    std::string error = testing::ApplyAdd(pod, std::string(op.at("path").get_string()), op.at("value"));
    ASSERT_EQ(error, "");
  }
  const auto& spec = pod.at("spec").get_object();
  int sidecars = 0;
  for (const char* list : {"containers", "initContainers"}) {
    if (const json::value* v = spec.if_contains(list)) {
      for (const auto& c : v->get_array()) sidecars += c.at("name") == json::value(options.sidecar_name) ? 1 : 0;
    }
  }
  EXPECT_EQ(sidecars, 1);
  EXPECT_EQ(pod.at("metadata").at("annotations").at("tcp-sniffer.io/injected"), "true");
  EXPECT_TRUE(spec.contains("terminationGracePeriodSeconds"));

  // Reinvocation (reinvocationPolicy: IfNeeded) sees its own work and changes nothing.
  PatchDecision again = DecideSidecarPatch(pod.get_object(), options);
  EXPECT_FALSE(again.injected);
  EXPECT_EQ(again.reason, "already-injected");
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, AdmissionGolden, ::testing::ValuesIn(CaseNames()), TestName);

TEST(AdmissionGoldenSet, HasTheCasesItClaims) {
  // A missing fixture directory would otherwise run zero parameterized tests and pass.
  EXPECT_GE(CaseNames().size(), 25u);
}

TEST(AdmissionGoldenSet, EveryFileBelongsToACase) {
  EXPECT_EQ(testing::LeftoverGoldenFiles(kDir), std::vector<std::string>{})
      << "remove each leftover golden, or add the <case>.review.json that produces it";
}

}  // namespace
}  // namespace injector

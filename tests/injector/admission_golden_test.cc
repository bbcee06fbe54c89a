// Golden files for the whole admission answer: for each fixtures/admission/<case>.review.json (with
// optional <case>.options.json), the decoded JSON Patch must equal <case>.patch.json (null when the pod is
// admitted unchanged) and the warnings must equal <case>.warnings.json.
//
// Regenerate on purpose, then read the diff:  UPDATE_GOLDEN=1 build/tests/injector/injector_tests
//
// Beyond the golden comparison, each injected patch is applied here (RFC 6902 "add") to prove its paths
// are valid for that pod, and the patched pod is fed back to show the reinvocation is a no-op.
#include "admission_review.h"
#include "injector_options.h"
#include "sidecar_patch.h"

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

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kDir)) {
    std::string file = entry.path().filename().string();
    const std::string suffix = ".review.json";
    if (file.size() > suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(file.substr(0, file.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = value(c);
    EXPECT_GE(v, 0) << "not base64: " << c;
    if (v < 0) return {};
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::string UnescapeToken(std::string token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size()) {
      out.push_back(token[i + 1] == '1' ? '/' : '~');
      ++i;
    } else {
      out.push_back(token[i]);
    }
  }
  return out;
}

// RFC 6902 "add", strictly: the parent must exist; an array index must be within [0, size] or "-".
void ApplyAdd(json::value& doc, const std::string& path, const json::value& value) {
  ASSERT_FALSE(path.empty());
  ASSERT_EQ(path.front(), '/') << path;
  std::vector<std::string> tokens;
  std::size_t start = 1;
  while (true) {
    std::size_t slash = path.find('/', start);
    tokens.push_back(UnescapeToken(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start)));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  json::value* parent = &doc;
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (parent->is_object()) {
      parent = parent->get_object().if_contains(tokens[i]);
    } else if (parent->is_array()) {
      std::size_t index = std::stoul(tokens[i]);
      parent = index < parent->get_array().size() ? &parent->get_array()[index] : nullptr;
    } else {
      parent = nullptr;
    }
    ASSERT_NE(parent, nullptr) << "patch path " << path << " has no parent in the pod";
  }
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    parent->get_object()[last] = value;
  } else {
    ASSERT_TRUE(parent->is_array()) << path;
    auto& array = parent->get_array();
    if (last == "-") {
      array.push_back(value);
    } else {
      std::size_t index = std::stoul(last);
      ASSERT_LE(index, array.size()) << path;
      array.insert(array.begin() + static_cast<std::ptrdiff_t>(index), value);
    }
  }
}

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
    patch = json::parse(Base64Decode(encoded->get_string()));
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
    ApplyAdd(pod, std::string(op.at("path").get_string()), op.at("value"));
    if (HasFatalFailure()) return;
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

}  // namespace
}  // namespace injector

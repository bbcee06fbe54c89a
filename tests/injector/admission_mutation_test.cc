// Structure-aware mutation of the golden reviews: thousands of reviews with values replaced by values of
// other types, keys dropped, strings made huge, bytes cut. Whatever arrives, the answer is a 400 or an
// allowed review, never a crash (run under ASan/UBSan too), and any patch returned applies to the pod.
#include "admission_review.h"

#include "patch_apply.h"
#include "pretty_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace injector {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

std::vector<json::value> Reviews() {
  std::vector<json::value> out;
  for (const auto& entry : fs::directory_iterator(std::string(FIXTURES_DIR) + "/admission")) {
    std::string name = entry.path().filename().string();
    if (name.size() > 12 && name.compare(name.size() - 12, 12, ".review.json") == 0) {
      out.push_back(testing::ReadJsonFile(entry.path().string()));
    }
  }
  return out;
}

// Every value in the document, for picking one at random.
void Collect(json::value& v, std::vector<json::value*>& out) {
  out.push_back(&v);
  if (v.is_object()) for (auto& kv : v.get_object()) Collect(kv.value(), out);
  if (v.is_array()) for (auto& item : v.get_array()) Collect(item, out);
}

json::value Replacement(std::mt19937& rng) {
  switch (rng() % 10) {
    case 0: return nullptr;
    case 1: return json::array{};
    case 2: return json::object{};
    case 3: return true;
    case 4: return -1;
    case 5: return 1e308;
    case 6: return json::string(100000, 'x');
    case 7: return "tcp-sniffer";
    case 8: return json::array{json::object{{"name", "tcp-sniffer"}}, 1, nullptr};
    default: return "true";
  }
}

TEST(AdmissionMutation, AnyReviewGetsA400OrAnAllowedAnswerWithAValidPatch) {
  std::vector<json::value> reviews = Reviews();
  ASSERT_GE(reviews.size(), 25u);
  std::mt19937 rng(20261123);
  InjectorOptions options;
  int allowed = 0, bad = 0, patched = 0;
  for (int i = 0; i < 6000; ++i) {
    json::value review = reviews[rng() % reviews.size()];
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      std::vector<json::value*> nodes;
      Collect(review, nodes);
      json::value* target = nodes[rng() % nodes.size()];
      if (target->is_object() && !target->get_object().empty() && rng() % 2 == 0) {
        auto& obj = target->get_object();
        obj.erase(std::next(obj.begin(), static_cast<std::ptrdiff_t>(rng() % obj.size())));
      } else if (target != &review) {
        *target = Replacement(rng);
      }
    }
    std::string text = json::serialize(review);
    if (rng() % 8 == 0) text.resize(rng() % (text.size() + 1));  // cut anywhere

    ReviewAnswer answer = AnswerAdmissionReview(text, options);
    ASSERT_TRUE(answer.status == 200 || answer.status == 400) << answer.status;
    boost::system::error_code ec;
    json::value body = json::parse(answer.body, ec);
    ASSERT_FALSE(ec) << answer.body.substr(0, 200);
    if (answer.status == 400) {
      ++bad;
      ASSERT_TRUE(body.at("error").is_string());
      continue;
    }
    ++allowed;
    const json::object& response = body.at("response").get_object();
    ASSERT_EQ(response.at("allowed"), true);
    if (!response.contains("patch")) continue;
    ++patched;
    auto decoded = testing::Base64Decode(response.at("patch").get_string());
    ASSERT_TRUE(decoded.has_value());
    json::value pod = review.at("request").at("object");
    json::value patch = json::parse(*decoded);
    for (const auto& op : patch.get_array()) {
      std::string error = testing::ApplyAdd(pod, std::string(op.at("path").get_string()), op.at("value"));
      ASSERT_EQ(error, "") << "case " << i << ": " << text.substr(0, 300);
    }
  }
  // The mutations must exercise all three outcomes, or they prove little.
  EXPECT_GT(bad, 100);
  EXPECT_GT(allowed, 1000);
  EXPECT_GT(patched, 500);
}

}  // namespace
}  // namespace injector

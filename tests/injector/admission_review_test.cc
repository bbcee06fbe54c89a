// The review exchange around the patch: what gets a 400 (only what has no uid to answer) and what gets
// an allowed response with a warning.
#include "admission_review.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace injector {
namespace {
namespace json = boost::json;

const InjectorOptions kDefaults;

json::object ResponseOf(const ReviewAnswer& a) { return json::parse(a.body).at("response").get_object(); }

TEST(AdmissionReview, NonJsonIsBadRequest) {
  ReviewAnswer a = AnswerAdmissionReview("this is not json", kDefaults);
  EXPECT_EQ(a.status, 400u);
  EXPECT_NE(a.body.find("not valid JSON"), std::string::npos) << a.body;
}

TEST(AdmissionReview, EmptyBodyIsBadRequest) {
  EXPECT_EQ(AnswerAdmissionReview("", kDefaults).status, 400u);
}

TEST(AdmissionReview, JsonThatIsNotAnObjectIsBadRequest) {
  EXPECT_EQ(AnswerAdmissionReview("[1,2]", kDefaults).status, 400u);
}

TEST(AdmissionReview, WrongKindIsBadRequest) {
  ReviewAnswer a = AnswerAdmissionReview(
      R"({"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"u"}})", kDefaults);
  EXPECT_EQ(a.status, 400u);
  EXPECT_NE(a.body.find("AdmissionReview"), std::string::npos);
}

TEST(AdmissionReview, OldVersionIsBadRequest) {
  ReviewAnswer a = AnswerAdmissionReview(
      R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u"}})", kDefaults);
  EXPECT_EQ(a.status, 400u);
  EXPECT_NE(a.body.find("admission.k8s.io/v1"), std::string::npos);
}

TEST(AdmissionReview, MissingRequestIsBadRequest) {
  ReviewAnswer a = AnswerAdmissionReview(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})", kDefaults);
  EXPECT_EQ(a.status, 400u);
  EXPECT_NE(a.body.find("no request"), std::string::npos);
}

TEST(AdmissionReview, MissingUidIsBadRequest) {
  ReviewAnswer a = AnswerAdmissionReview(
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"object":{}}})", kDefaults);
  EXPECT_EQ(a.status, 400u);
  EXPECT_NE(a.body.find("uid"), std::string::npos);
}

TEST(AdmissionReview, ObjectOfWrongTypeIsAllowedWithWarning) {
  ReviewAnswer a = AnswerAdmissionReview(
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","object":"pod"}})",
      kDefaults);
  ASSERT_EQ(a.status, 200u);
  json::object r = ResponseOf(a);
  EXPECT_EQ(r.at("uid"), "u-1");
  EXPECT_EQ(r.at("allowed"), true);
  EXPECT_FALSE(r.contains("patch"));
  ASSERT_EQ(r.at("warnings").get_array().size(), 1u);
  EXPECT_NE(std::string(r.at("warnings").get_array()[0].get_string()).find("request.object"), std::string::npos);
}

TEST(AdmissionReview, DeeplyNestedJsonIsRejectedNotCrashed) {
  std::string deep(100000, '[');
  EXPECT_EQ(AnswerAdmissionReview(deep, kDefaults).status, 400u);
}

TEST(AdmissionReview, InvalidUtf8IsBadRequest) {
  EXPECT_EQ(AnswerAdmissionReview("{\"kind\":\"\xff\"}", kDefaults).status, 400u);
}

TEST(AdmissionReview, LogFieldsNameThePodAndOutcome) {
  ReviewAnswer a = AnswerAdmissionReview(
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-2","namespace":"shop",
          "object":{"metadata":{"generateName":"web-","labels":{"tcp-sniffer.io/inject":"true"}},
                    "spec":{"containers":[{"name":"web","ports":[{"containerPort":80}]}]}}}})",
      kDefaults);
  ASSERT_EQ(a.status, 200u);
  EXPECT_EQ(a.fields.at("uid"), "u-2");
  EXPECT_EQ(a.fields.at("namespace"), "shop");
  EXPECT_EQ(a.fields.at("pod"), "web-");
  EXPECT_EQ(a.fields.at("outcome"), "injected");
}

TEST(AdmissionReview, CredentialsInOutputUrlNeverReachWarningsOrLogs) {
  ReviewAnswer a = AnswerAdmissionReview(
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-3",
          "object":{"metadata":{"labels":{"tcp-sniffer.io/inject":"true"},
                                "annotations":{"tcp-sniffer.io/output-url":"https://user:hunter2@c.example/"}},
                    "spec":{"containers":[{"name":"web","ports":[{"containerPort":80}]}]}}}})",
      kDefaults);
  ASSERT_EQ(a.status, 200u);
  EXPECT_EQ(a.body.find("hunter2"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("no credentials in URL"), std::string::npos) << a.body;
  EXPECT_EQ(json::serialize(a.fields).find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace injector

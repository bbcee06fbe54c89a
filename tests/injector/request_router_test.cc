#include "request_router.h"

#include <gtest/gtest.h>

namespace injector {
namespace {

const InjectorOptions kDefaults;

TEST(RequestRouter, MutateIgnoresTheApiServersTimeoutQuery) {
  RouteAnswer a = RouteRequest("POST", "/mutate?timeout=10s", "{}", true, kDefaults);
  EXPECT_TRUE(a.is_review);
  EXPECT_EQ(a.status, 400u);  // {} is no AdmissionReview, but it reached the review handler
}

TEST(RequestRouter, MutateNeedsPost) {
  EXPECT_EQ(RouteRequest("GET", "/mutate", "", true, kDefaults).status, 405u);
}

TEST(RequestRouter, ReadinessFollowsDraining) {
  EXPECT_EQ(RouteRequest("GET", "/readyz", "", true, kDefaults).status, 200u);
  EXPECT_EQ(RouteRequest("GET", "/readyz", "", false, kDefaults).status, 503u);
  EXPECT_EQ(RouteRequest("GET", "/healthz", "", false, kDefaults).status, 200u);
}

TEST(RequestRouter, UnknownPathIsNotFound) {
  EXPECT_EQ(RouteRequest("GET", "/", "", true, kDefaults).status, 404u);
  EXPECT_EQ(RouteRequest("POST", "/validate", "{}", true, kDefaults).status, 404u);
}

TEST(RequestRouter, MetricsServesTheTextOnlyWhenGiven) {
  int calls = 0;
  MetricsText text = [&calls] {
    ++calls;
    return std::string("a_total 1\n");
  };
  RouteAnswer a = RouteRequest("GET", "/metrics", "", true, kDefaults, text);
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.body, "a_total 1\n");
  EXPECT_EQ(a.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(RouteRequest("POST", "/metrics", "", true, kDefaults, text).status, 405u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(RouteRequest("GET", "/metrics", "", true, kDefaults).status, 404u);
}

}  // namespace
}  // namespace injector

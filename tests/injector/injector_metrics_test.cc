#include "injector_metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace injector {
namespace {

bool Has(const std::string& text, const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; }

TEST(InjectorMetrics, CountsReviewsByOutcomeAndObservesTheirDuration) {
  InjectorMetrics m;
  m.RecordReview("injected", 0.0002);
  m.RecordReview("injected", 0.003);
  m.RecordReview("not-labelled", 2.0);
  std::string text = m.Text({}, 0, 0);
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_reviews_total{outcome=\"injected\"} 2")) << text;
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_reviews_total{outcome=\"not-labelled\"} 1")) << text;
  EXPECT_TRUE(Has(text, "# TYPE tcp_sniffer_injector_review_duration_seconds histogram")) << text;
  // Buckets are cumulative; 2 s is above every bound and counts only in +Inf.
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_review_duration_seconds_bucket{le=\"0.0001\"} 0")) << text;
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_review_duration_seconds_bucket{le=\"0.00025\"} 1")) << text;
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_review_duration_seconds_bucket{le=\"0.005\"} 2")) << text;
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_review_duration_seconds_bucket{le=\"1\"} 2")) << text;
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_review_duration_seconds_bucket{le=\"+Inf\"} 3")) << text;
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_review_duration_seconds_sum 2.0032")) << text;
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_review_duration_seconds_count 3")) << text;
}

TEST(InjectorMetrics, NamesTheServerCountersAfterTheStopLogAndCountsTlsReloads) {
  InjectorMetrics m;
  std::string text = m.Text({{"handshakeFailures", 4}, {"busyRejections", 0}, {"reviews", 9}}, 2, 1);
  EXPECT_TRUE(Has(text, "# TYPE tcp_sniffer_injector_handshake_failures_total counter")) << text;
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_handshake_failures_total 4")) << text;
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_busy_rejections_total 0")) << text;
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_tls_reloads_total{result=\"reloaded\"} 2")) << text;
  EXPECT_TRUE(Has(text, "tcp_sniffer_injector_tls_reloads_total{result=\"failed\"} 1")) << text;
  // reviews is the sum over outcomes, already exported as reviews_total{outcome}.
  EXPECT_EQ(text.find("tcp_sniffer_injector_reviews_total 9"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(InjectorMetrics, EscapesLabelValues) {
  InjectorMetrics m;
  m.RecordReview("a\"b\\c\nd", 0.001);
  EXPECT_TRUE(Has(m.Text({}, 0, 0), "tcp_sniffer_injector_reviews_total{outcome=\"a\\\"b\\\\c\\nd\"} 1"));
}

TEST(InjectorMetrics, SnakeCase) {
  EXPECT_EQ(SnakeCase("connectionsRefused"), "connections_refused");
  EXPECT_EQ(SnakeCase("timeouts"), "timeouts");
}

}  // namespace
}  // namespace injector

// The injector's own metrics, served as GET /metrics in the Prometheus text format (0.0.4), written here
// by hand: three families and the server's counters do not need a client library (docs/injector.md,
// "Metrics"). Thread-safe: sessions on every io thread record into one instance.
#ifndef INJECTOR_INJECTOR_METRICS_H_
#define INJECTOR_INJECTOR_METRICS_H_

#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace injector {

class InjectorMetrics {
 public:
  // Upper bounds (seconds) of the review-duration histogram: answering a review takes microseconds to
  // a few milliseconds (bench/injector); the API server gives up at 10 s.
  static constexpr std::array<double, 12> kDurationBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                              0.01,   0.025,   0.05,   0.1,   0.5,    1};

  // One answered AdmissionReview: `outcome` is the review's log outcome (injected, not-labelled,
  // bad-request, ...; a short fixed set), `seconds` the time from the request's arrival to its answer.
  void RecordReview(std::string_view outcome, double seconds);

  // The text for GET /metrics. `server_stats` are the counters of the "injector stopped" log line
  // (HttpsServer::Stats); `tls_reloads` and `tls_reload_failures` come from TlsCertificates.
  std::string Text(const boost::json::object& server_stats, std::uint64_t tls_reloads,
                   std::uint64_t tls_reload_failures) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t, std::less<>> reviews_by_outcome_;
  std::array<std::uint64_t, kDurationBuckets.size() + 1> duration_counts_{};  // last: above every bound
  double duration_sum_ = 0;
  std::uint64_t duration_count_ = 0;
};

// `handshakeFailures` → `handshake_failures`: the Prometheus spelling of a stop-log key.
std::string SnakeCase(std::string_view key);

}  // namespace injector

#endif  // INJECTOR_INJECTOR_METRICS_H_

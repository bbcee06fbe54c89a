#include "injector_metrics.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace injector {
namespace {

constexpr const char* kPrefix = "tcp_sniffer_injector_";

void Family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// Label values are escaped as the text format requires: backslash, double quote, line feed.
void LabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
}

// Shortest text that reads back as the same double (%.17g is exact, %g is enough for bucket bounds).
std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s(buf);
  for (int precision = 1; precision < 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) return buf;
  }
  return s;
}

}  // namespace

std::string SnakeCase(std::string_view key) {
  std::string out;
  for (std::size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (i > 0) out.push_back('_');
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    }
  }
  return out;
}

void InjectorMetrics::RecordReview(std::string_view outcome, double seconds) {
  std::size_t bucket = 0;
  while (bucket < kDurationBuckets.size() && seconds > kDurationBuckets[bucket]) ++bucket;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = reviews_by_outcome_.find(outcome);
  if (it == reviews_by_outcome_.end()) it = reviews_by_outcome_.emplace(std::string(outcome), 0).first;
  ++it->second;
  ++duration_counts_[bucket];
  duration_sum_ += seconds;
  ++duration_count_;
}

std::string InjectorMetrics::Text(const boost::json::object& server_stats, std::uint64_t tls_reloads,
                                  std::uint64_t tls_reload_failures) const {
  std::string out;
  const std::string reviews = std::string(kPrefix) + "reviews_total";
  const std::string duration = std::string(kPrefix) + "review_duration_seconds";
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Family(out, reviews, "counter", "AdmissionReviews answered, by outcome (the outcome field of the review log)");
    for (const auto& [outcome, count] : reviews_by_outcome_) {
      out += reviews + "{outcome=\"";
      LabelValue(out, outcome);
      out += "\"} " + std::to_string(count) + '\n';
    }
    Family(out, duration, "histogram", "From a review's arrival to its answer (the patch built and encoded)");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kDurationBuckets.size(); ++i) {
      cumulative += duration_counts_[i];
      out += duration + "_bucket{le=\"" + Number(kDurationBuckets[i]) + "\"} " + std::to_string(cumulative) + '\n';
    }
    out += duration + "_bucket{le=\"+Inf\"} " + std::to_string(duration_count_) + '\n';
    out += duration + "_sum " + Number(duration_sum_) + '\n';
    out += duration + "_count " + std::to_string(duration_count_) + '\n';
  }
  const std::string reloads = std::string(kPrefix) + "tls_reloads_total";
  Family(out, reloads, "counter", "Certificate reloads after the files changed: reloaded, or failed (the old one kept)");
  out += reloads + "{result=\"reloaded\"} " + std::to_string(tls_reloads) + '\n';
  out += reloads + "{result=\"failed\"} " + std::to_string(tls_reload_failures) + '\n';
  for (const auto& kv : server_stats) {
    // reviews is the sum of reviews_total over outcomes; exporting it again would clash with that name.
    if (kv.key() == "reviews" || !kv.value().is_number()) continue;
    const std::string name = std::string(kPrefix) + SnakeCase(kv.key()) + "_total";
    Family(out, name, "counter", std::string(kv.key()) + " in the \"injector stopped\" log line");
    const auto& v = kv.value();
    out += name + ' ' + (v.is_uint64() ? std::to_string(v.get_uint64())
                         : v.is_int64() ? std::to_string(v.get_int64())
                                        : Number(v.get_double())) + '\n';
  }
  return out;
}

}  // namespace injector

// Maps one HTTP request of the webhook's API to its answer: POST /mutate, GET /healthz, GET /readyz,
// GET /metrics.
// The API server appends `?timeout=10s` to the webhook's path; the query is ignored.
#ifndef INJECTOR_REQUEST_ROUTER_H_
#define INJECTOR_REQUEST_ROUTER_H_

#include "admission_review.h"
#include "injector_options.h"

#include <functional>
#include <string>
#include <string_view>

namespace injector {

struct RouteAnswer {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool is_review = false;     // log it as an admission review (with review.fields)
  boost::json::object fields;  // log fields
};

// The Prometheus text of GET /metrics, made only when asked for; without it /metrics is a 404.
using MetricsText = std::function<std::string()>;

RouteAnswer RouteRequest(std::string_view method, std::string_view target, std::string_view body, bool ready,
                         const InjectorOptions& options, const MetricsText& metrics = {});

}  // namespace injector

#endif  // INJECTOR_REQUEST_ROUTER_H_

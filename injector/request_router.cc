#include "request_router.h"

namespace injector {

RouteAnswer RouteRequest(std::string_view method, std::string_view target, std::string_view body, bool ready,
                         const InjectorOptions& options, const MetricsText& metrics) {
  std::string_view path = target.substr(0, target.find('?'));
  RouteAnswer a;
  auto error = [&a](unsigned status, std::string_view message) {
    a.status = status;
    a.body = std::string("{\"error\":\"") + std::string(message) + "\"}";
  };
  if (path == "/mutate") {
    if (method != "POST") {
      error(405, "use POST for /mutate");
      return a;
    }
    ReviewAnswer review = AnswerAdmissionReview(body, options);
    a.status = review.status;
    a.body = std::move(review.body);
    a.is_review = true;
    a.fields = std::move(review.fields);
    return a;
  }
  if (path == "/healthz" || path == "/readyz") {
    if (method != "GET" && method != "HEAD") {
      error(405, "use GET");
      return a;
    }
    a.content_type = "text/plain";
    bool ok = path == "/healthz" || ready;
    a.status = ok ? 200 : 503;
    a.body = ok ? "ok\n" : "draining\n";
    return a;
  }
  if (path == "/metrics" && metrics) {
    if (method != "GET" && method != "HEAD") {
      error(405, "use GET");
      return a;
    }
    a.content_type = "text/plain; version=0.0.4; charset=utf-8";
    a.body = metrics();
    return a;
  }
  error(404, "not found: the webhook serves POST /mutate, GET /healthz, GET /readyz and GET /metrics");
  return a;
}

}  // namespace injector

#include "admission_review.h"

#include "base64.h"
#include "sidecar_patch.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace injector {
namespace json = boost::json;
namespace {

constexpr const char* kApiVersion = "admission.k8s.io/v1";

ReviewAnswer BadRequest(std::string message) {
  ReviewAnswer a;
  a.status = 400;
  a.fields = {{"outcome", "bad-request"}, {"error", message}};
  a.body = json::serialize(json::object{{"error", std::move(message)}});
  return a;
}

std::string_view StringAt(const json::object* obj, std::string_view key) {
  if (obj == nullptr) return {};
  const json::value* v = obj->if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

const json::object* ObjectAt(const json::object* obj, std::string_view key) {
  if (obj == nullptr) return nullptr;
  const json::value* v = obj->if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

std::string Encode(std::string_view uid, const PatchDecision& decision) {
  json::object response{{"uid", uid}, {"allowed", true}};
  if (decision.injected) {
    response["patchType"] = "JSONPatch";
    response["patch"] = Base64Encode(json::serialize(decision.patch));
  }
  if (!decision.warnings.empty()) {
    json::array warnings;
    for (const auto& w : decision.warnings) warnings.emplace_back(w);
    response["warnings"] = std::move(warnings);
  }
  return json::serialize(json::object{
      {"apiVersion", kApiVersion}, {"kind", "AdmissionReview"}, {"response", std::move(response)}});
}

PatchDecision Allow(std::string reason, std::string warning = {}) {
  PatchDecision d;
  d.reason = std::move(reason);
  if (!warning.empty()) d.warnings.push_back(std::move(warning));
  return d;
}

}  // namespace

ReviewAnswer AnswerAdmissionReview(std::string_view body, const InjectorOptions& options) {
  // The parsed review lives only for this call: one arena, released at once.
  unsigned char initial[16384];
  json::monotonic_resource arena(initial, sizeof initial);
  json::parse_options parse_options;
  parse_options.max_depth = 256;
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec, &arena, parse_options);
  if (ec) return BadRequest("request body is not valid JSON: " + ec.message());
  if (!doc.is_object()) return BadRequest("request body is not a JSON object");
  const json::object& review = doc.get_object();
  if (StringAt(&review, "kind") != "AdmissionReview" || StringAt(&review, "apiVersion") != kApiVersion) {
    return BadRequest("expected kind AdmissionReview with apiVersion admission.k8s.io/v1");
  }
  const json::object* request = ObjectAt(&review, "request");
  if (request == nullptr) return BadRequest("AdmissionReview has no request object");
  std::string_view uid = StringAt(request, "uid");
  if (uid.empty()) return BadRequest("AdmissionReview request has no uid");

  const json::object* pod = ObjectAt(request, "object");
  const json::object* kind = ObjectAt(request, "kind");
  std::string_view operation = StringAt(request, "operation");

  PatchDecision decision;
  if (kind != nullptr && (StringAt(kind, "kind") != "Pod" || !StringAt(kind, "group").empty())) {
    decision = Allow("not-a-pod", "tcp-sniffer: sidecar not injected: the request is not for a Pod");
  } else if (!operation.empty() && operation != "CREATE") {
    decision = Allow("not-create");  // the sidecar is added at creation only; nothing to say
  } else if (pod == nullptr) {
    decision = Allow("no-object", "tcp-sniffer: sidecar not injected: request.object is missing or not an object");
  } else {
    decision = DecideSidecarPatch(*pod, options);
  }

  ReviewAnswer answer;
  answer.body = Encode(uid, decision);
  const json::object* metadata = ObjectAt(pod, "metadata");
  std::string_view name = StringAt(request, "name");
  if (name.empty()) name = StringAt(metadata, "name");
  if (name.empty()) name = StringAt(metadata, "generateName");
  answer.fields = {{"uid", uid},
                   {"namespace", StringAt(request, "namespace")},
                   {"pod", name},
                   {"outcome", decision.reason}};
  if (!decision.warnings.empty()) {
    json::array warnings;
    for (const auto& w : decision.warnings) warnings.emplace_back(w);
    answer.fields["warnings"] = std::move(warnings);
  }
  return answer;
}

}  // namespace injector

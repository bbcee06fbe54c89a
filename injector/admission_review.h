// The admission.k8s.io/v1 AdmissionReview exchange: request body in, HTTP status and response body out.
// Thin: decode → eligibility and patch (sidecar_patch.h) → encode. Pure, so the handler's every answer
// is testable without a server.
//
// A 400 only when there is no request.uid to answer (docs/injector.md, "Which pods get the sidecar"):
// under failurePolicy Fail a 400 blocks the pod, so anything answerable is answered "allowed", with a
// warning saying what was wrong.
#ifndef INJECTOR_ADMISSION_REVIEW_H_
#define INJECTOR_ADMISSION_REVIEW_H_

#include "injector_options.h"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace injector {

struct ReviewAnswer {
  unsigned status = 200;
  std::string body;           // JSON
  boost::json::object fields;  // for the request log: uid, namespace, pod, outcome, warnings
};

ReviewAnswer AnswerAdmissionReview(std::string_view body, const InjectorOptions& options);

}  // namespace injector

#endif  // INJECTOR_ADMISSION_REVIEW_H_

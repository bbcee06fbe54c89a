// Standard base64 (RFC 4648 §4, with padding): the encoding of AdmissionReview's `response.patch`.
#ifndef INJECTOR_BASE64_H_
#define INJECTOR_BASE64_H_

#include <string>
#include <string_view>

namespace injector {

std::string Base64Encode(std::string_view bytes);

}  // namespace injector

#endif  // INJECTOR_BASE64_H_

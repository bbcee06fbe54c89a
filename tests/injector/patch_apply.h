// Test helpers: base64 decoding of a response's patch, and RFC 6902 "add" applied strictly, so that the
// C++ tests can prove a patch's paths valid for the pod it was made for.
#ifndef TESTS_INJECTOR_PATCH_APPLY_H_
#define TESTS_INJECTOR_PATCH_APPLY_H_

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace injector::testing {

// nullopt when `text` is not base64.
std::optional<std::string> Base64Decode(std::string_view text);

// Applies one "add": the parent must exist; an array index must be in [0, size] or "-".
// Returns "" on success, else why the path is invalid.
std::string ApplyAdd(boost::json::value& document, const std::string& path, const boost::json::value& value);

}  // namespace injector::testing

#endif  // TESTS_INJECTOR_PATCH_APPLY_H_

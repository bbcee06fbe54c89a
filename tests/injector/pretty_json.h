// Test helper: JSON text for golden files, indented two spaces so that reviewers read diffs, with keys
// in the order the value holds them.
#ifndef TESTS_INJECTOR_PRETTY_JSON_H_
#define TESTS_INJECTOR_PRETTY_JSON_H_

#include <boost/json/value.hpp>

#include <string>

namespace injector::testing {

std::string PrettyJson(const boost::json::value& value);

// The whole file as text; fails the current test when it cannot be read.
std::string ReadFile(const std::string& path);
boost::json::value ReadJsonFile(const std::string& path);

}  // namespace injector::testing

#endif  // TESTS_INJECTOR_PRETTY_JSON_H_

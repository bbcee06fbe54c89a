// The admission golden directory as the harness sees it: which cases exist (one per
// <case>.review.json, found by listing the directory, never by a hand-kept list) and which files no
// case produces (a golden left behind when a case was renamed or removed).
#ifndef TESTS_INJECTOR_GOLDEN_FILES_H_
#define TESTS_INJECTOR_GOLDEN_FILES_H_

#include <string>
#include <vector>

namespace injector::testing {

// The case names in `dir` (the <case> of each <case>.review.json), sorted.
std::vector<std::string> GoldenCaseNames(const std::string& dir);

// The files in `dir` that belong to no case: anything but README.md and, for each case,
// <case>.review.json, <case>.options.json, <case>.patch.json and <case>.warnings.json. Sorted.
std::vector<std::string> LeftoverGoldenFiles(const std::string& dir);

}  // namespace injector::testing

#endif  // TESTS_INJECTOR_GOLDEN_FILES_H_

#include "golden_files.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace injector::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kCaseSuffix[] = ".review.json";
const char* const kCaseFiles[] = {".review.json", ".options.json", ".patch.json", ".warnings.json"};

std::vector<std::string> FileNames(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<std::string> GoldenCaseNames(const std::string& dir) {
  std::vector<std::string> cases;
  const std::string suffix = kCaseSuffix;
  for (const std::string& file : FileNames(dir)) {
    if (EndsWith(file, suffix)) cases.push_back(file.substr(0, file.size() - suffix.size()));
  }
  return cases;
}

std::vector<std::string> LeftoverGoldenFiles(const std::string& dir) {
  std::set<std::string> produced = {"README.md"};
  for (const std::string& name : GoldenCaseNames(dir)) {
    for (const char* suffix : kCaseFiles) produced.insert(name + suffix);
  }
  std::vector<std::string> leftover;
  for (const std::string& file : FileNames(dir)) {
    if (produced.count(file) == 0) leftover.push_back(file);
  }
  return leftover;
}

}  // namespace injector::testing

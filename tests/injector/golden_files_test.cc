// The golden directory's bookkeeping on a directory made here: cases found by listing, and a
// leftover golden (one no case produces) reported, so the real set's check can fail.
#include "golden_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace injector::testing {
namespace {

namespace fs = std::filesystem;

class GoldenFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("golden_files_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Touch(const std::string& name) { std::ofstream(dir_ / name) << "null\n"; }
  std::string Dir() const { return dir_.string(); }

 private:
  fs::path dir_;
};

TEST_F(GoldenFilesTest, EveryReviewFileIsACase) {
  Touch("b.review.json");
  Touch("a.review.json");
  Touch("a.patch.json");
  Touch("review.json.orig");
  EXPECT_EQ(GoldenCaseNames(Dir()), (std::vector<std::string>{"a", "b"}));
}

TEST_F(GoldenFilesTest, ACompleteSetHasNoLeftover) {
  for (const char* f : {"README.md", "a.review.json", "a.options.json", "a.patch.json",
                        "a.warnings.json", "b.review.json", "b.patch.json", "b.warnings.json"}) {
    Touch(f);
  }
  EXPECT_EQ(LeftoverGoldenFiles(Dir()), std::vector<std::string>{});
}

TEST_F(GoldenFilesTest, GoldensOfARemovedCaseAreLeftovers) {
  // The case "old" was renamed to "new": its review moved, its expected files stayed behind.
  for (const char* f : {"new.review.json", "new.patch.json", "new.warnings.json", "old.patch.json",
                        "old.warnings.json", "old.options.json"}) {
    Touch(f);
  }
  EXPECT_EQ(LeftoverGoldenFiles(Dir()),
            (std::vector<std::string>{"old.options.json", "old.patch.json", "old.warnings.json"}));
}

TEST_F(GoldenFilesTest, AFileOfNoKnownKindIsALeftover) {
  Touch("a.review.json");
  Touch("a.patch.json.bak");
  Touch("notes.txt");
  EXPECT_EQ(LeftoverGoldenFiles(Dir()), (std::vector<std::string>{"a.patch.json.bak", "notes.txt"}));
}

}  // namespace
}  // namespace injector::testing

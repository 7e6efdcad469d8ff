// Every input a fuzzer found a bug with (fuzz/regressions/) and the seed
// corpora (fuzz/corpus/), replayed through the fuzz targets' checks
// (fuzz/scenario_checks.hpp, fuzz/run_file_checks.hpp) in the ordinary test suite, so a fixed crash stays
// fixed in every build, not only the fuzzing one.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../fuzz/run_file_checks.hpp"
#include "../fuzz/scenario_checks.hpp"

namespace tipsim {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs(const std::string& folder) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(TIPSIM_SOURCE_DIR) / "fuzz" / folder, ec))
    if (entry.is_regular_file() && entry.path().filename() != "README.md") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void replay_scenarios(const std::string& folder) {
  const std::vector<fs::path> files = inputs(folder);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    try {
      const std::string problem =
          fuzz::check_scenario_text(bytes_of(file), std::string(TIPSIM_SCENARIO_DIR) + "/fuzz.toml");
      EXPECT_TRUE(problem.empty()) << problem;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "an exception other than ScenarioError: " << e.what();
    }
  }
}

void replay_run_files(const std::string& folder) {
  for (const fs::path& file : inputs(folder)) {
    SCOPED_TRACE(file.string());
    // The reader is handed a copy, as the fuzzer does.
    const fs::path copy = fs::temp_directory_path() / ("tipsim-fuzz-replay-" + file.filename().string());
    fs::copy_file(file, copy, fs::copy_options::overwrite_existing);
    try {
      const std::string problem = fuzz::check_run_file(copy.string());
      EXPECT_TRUE(problem.empty()) << problem;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "an exception other than OutputError: " << e.what();
    }
    fs::remove(copy);
  }
}

TEST(FuzzRegression, ScenarioCorpus) {
  ASSERT_FALSE(inputs("corpus/scenario").empty());
  replay_scenarios("corpus/scenario");
}

TEST(FuzzRegression, ScenarioRegressions) { replay_scenarios("regressions/scenario"); }

// The first crash the scenario fuzzer found: "[" and a NUL. toml++ asserts
// on it in its debug builds; a NUL is never valid TOML, so the loader now
// refuses it first, at its position (as when a binary file is given).
TEST(FuzzRegression, ANulCharacterIsRefusedWhereItIs) {
  const std::string text("scenario.steps = 3\n[\0x]\n", 24);
  try {
    load_scenario_text(text, "binary.toml");
    FAIL() << "loaded";
  } catch (const ScenarioError& e) {
    ASSERT_EQ(e.issues.size(), 1u);
    EXPECT_EQ(e.issues[0].where.file, "binary.toml");
    EXPECT_EQ(e.issues[0].where.line, 2);
    EXPECT_EQ(e.issues[0].where.column, 2);
    EXPECT_NE(e.issues[0].message.find("NUL"), std::string::npos) << e.what();
  }
}

TEST(FuzzRegression, RunFileCorpus) {
  ASSERT_FALSE(inputs("corpus/run_file").empty());
  replay_run_files("corpus/run_file");
}

TEST(FuzzRegression, RunFileRegressions) { replay_run_files("regressions/run_file"); }

}  // namespace
}  // namespace tipsim

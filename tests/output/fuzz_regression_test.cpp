// Every input that ever crashed a reader (fuzz/regressions/: what the
// fuzzers found, and damaged run files made by hand) and the seed corpora
// (fuzz/corpus/), replayed through the fuzz targets' checks
// (fuzz/scenario_checks.hpp, fuzz/run_file_checks.hpp) in the ordinary test
// suite, so a fixed crash stays fixed in every build, not only the fuzzing
// one. A folder that is missing or empty fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run_file_checks.hpp"
#include "scenario_checks.hpp"
#include "test_paths.hpp"

namespace tipsim {
namespace {

namespace fs = std::filesystem;

// The inputs in fuzz/FOLDER, sorted. A folder that is missing or cannot be
// listed fails the calling test: a replay of nothing proves nothing.
std::vector<fs::path> inputs(const std::string& folder) {
  const fs::path where = fs::path(test_paths::source_dir) / "fuzz" / folder;
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator entry(where, ec), end; !ec && entry != end; entry.increment(ec))
    if (entry->is_regular_file() && entry->path().filename() != "README.md") files.push_back(entry->path());
  if (ec) ADD_FAILURE() << "cannot list " << where << ": " << ec.message();
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
  ASSERT_FALSE(files.empty()) << "fuzz/" << folder << " holds no inputs";
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    try {
      const std::string problem = fuzz::check_scenario_text(
          bytes_of(file), std::string(test_paths::source_dir) + "/scenarios/fuzz.toml");
      EXPECT_TRUE(problem.empty()) << problem;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "an exception other than ScenarioError: " << e.what();
    }
  }
}

// The damaged part each crafted file of fuzz/regressions/run_file/ must be
// refused for (fuzz/README.md says how they were made). Checked beyond the
// fuzz targets' contract, which a file that reads also meets: each must be
// refused for its damage, not for some other reason (a newer format, say).
const std::map<std::string, std::string> kRunFileRefusals = {
    {"summary-variable-claiming-2to40-values-without-data.h5",
     "'summary/exploited_mean' claims 1099511627776 values"},
    {"summary-variable-claiming-2to32x2to32x2-values-overflowing.h5", "'summary/exploited_mean' claims"},
    {"route-share-column-claiming-2to40-rows-without-data.h5",
     "'scenario/routes/share' claims 1099511627776 values"},
    {"event-log-events-event-a-scalar.h5", "'events/event' is not one-dimensional"},
    {"dimension-scale-series-age-a-scalar.h5", "'series/age' is not one-dimensional"},
};

void replay_run_files(const std::string& folder, const std::map<std::string, std::string>& refusals = {}) {
  const std::vector<fs::path> files = inputs(folder);
  ASSERT_FALSE(files.empty()) << "fuzz/" << folder << " holds no inputs";
  std::set<std::string> replayed;
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    replayed.insert(file.filename().string());
    // The reader is handed a copy, as the fuzzer does.
    const fs::path copy = fs::temp_directory_path() / ("tipsim-fuzz-replay-" + file.filename().string());
    fs::copy_file(file, copy, fs::copy_options::overwrite_existing);
    try {
      const std::string problem = fuzz::check_run_file(copy.string());
      EXPECT_TRUE(problem.empty()) << problem;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "an exception other than OutputError: " << e.what();
    }
    if (const auto refusal = refusals.find(file.filename().string()); refusal != refusals.end()) {
      try {
        output::read_run_file(copy.string());
        ADD_FAILURE() << "read as a run file; it must be refused for " << refusal->second;
      } catch (const output::FormatError& e) {
        EXPECT_NE(std::string(e.what()).find(copy.string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(refusal->second), std::string::npos)
            << "refused, but not for " << refusal->second << ": " << e.what();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "not a FormatError: " << e.what();
      }
    }
    fs::remove(copy);
  }
  for (const auto& [name, damage] : refusals)
    EXPECT_TRUE(replayed.contains(name)) << "fuzz/" << folder << "/" << name << " is missing";
}

TEST(FuzzRegression, ScenarioCorpus) { replay_scenarios("corpus/scenario"); }

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

TEST(FuzzRegression, RunFileCorpus) { replay_run_files("corpus/run_file"); }

TEST(FuzzRegression, RunFileRegressions) { replay_run_files("regressions/run_file", kRunFileRefusals); }

}  // namespace
}  // namespace tipsim

// The `tipsim` program as users meet it: the real binary run in a temporary
// folder, its exit codes, its messages, and the files it leaves (or not).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "run_file.hpp"
#include "scenario_loader.hpp"

namespace tipsim {
namespace {

namespace fs = std::filesystem;

// A world small enough to run in well under a second.
constexpr const char* kTinyScenario = R"(
[scenario]
name = "cli test"
description = "Two small regions for the CLI tests."
steps = 20
seed = 7
[population]
size = 3000
[[region]]
name = "Origin"
[[region]]
name = "Destination"
[[route]]
from = "Origin"
to = "Destination"
share = 0.3
)";

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A temporary working folder for one test, removed at the end.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char folder_template[] = "/tmp/tipsim_cli_XXXXXX";
    ASSERT_NE(mkdtemp(folder_template), nullptr);
    folder_ = folder_template;
  }
  void TearDown() override { fs::remove_all(folder_); }

  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path path = folder_ / name;
    std::ofstream(path) << text;
    return path;
  }

  // Starts tipsim in the test folder with stdout and stderr captured to files.
  pid_t start(const std::vector<std::string>& args, const std::vector<std::string>& environment = {}) const {
    const std::string out = (folder_ / "stdout.txt").string(), err = (folder_ / "stderr.txt").string();
    const pid_t pid = fork();
    if (pid == 0) {
      if (chdir(folder_.c_str()) != 0) _exit(120);
      const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out_fd < 0 || err_fd < 0) _exit(121);
      dup2(out_fd, STDOUT_FILENO);
      dup2(err_fd, STDERR_FILENO);
      for (const std::string& assignment : environment) putenv(const_cast<char*>(assignment.c_str()));
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(TIPSIM_CLI_PATH));
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(TIPSIM_CLI_PATH, argv.data());
      _exit(127);
    }
    return pid;
  }

  Outcome finish(pid_t pid) const {
    Outcome outcome;
    int status = 0;
    waitpid(pid, &status, 0);
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
    outcome.out = read_text(folder_ / "stdout.txt");
    outcome.err = read_text(folder_ / "stderr.txt");
    return outcome;
  }

  Outcome tipsim(const std::vector<std::string>& args,
                 const std::vector<std::string>& environment = {}) const {
    return finish(start(args, environment));
  }

  // Files in a folder of the test folder (none when it does not exist).
  std::vector<std::string> files_in(const std::string& name) const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder_ / name, ec))
      names.push_back(entry.path().filename());
    return names;
  }

  fs::path folder_;
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- bad input: exit 2, a located message, and nothing written -----------------------

struct BadInput {
  const char* what;
  const char* scenario_text;  // nullptr: the file does not exist
  std::vector<std::string> extra_args;
  std::vector<std::string> expected_in_stderr;
};

TEST_F(CliTest, BadInputExitsWithTwoAndWritesNothing) {
  const std::vector<BadInput> cases = {
      {"unknown key",
       "[policy.protection]\nshelter_beds = 4\n",
       {},
       {"tipsim: error: bad.toml:2:1: key 'policy.protection.shelter_beds' = 4: unknown key",
        "did you mean 'policy.protection.shelter_beds_per_100k'"}},
      {"out-of-range value",
       "policy.prevention.awareness_reach = 1.5\n",
       {},
       {"bad.toml:1:37: key 'policy.prevention.awareness_reach' = 1.5: out of range", "from 0 to 1"}},
      {"wrong type",
       "population.size = \"many\"\n",
       {},
       {"bad.toml:1:19: key 'population.size' = \"many\": wrong type", "whole number from 1 to"}},
      {"malformed TOML", "scenario.steps = = 3\n", {}, {"bad.toml:1:", "malformed TOML"}},
      {"missing file", nullptr, {}, {"bad.toml: cannot read the scenario file: no such file"}},
      {"unknown --set key",
       kTinyScenario,
       {"--set", "policy.partnership.levle=0.5"},
       {"<command line>:1:0: key 'policy.partnership.levle' = 0.5: unknown key",
        "did you mean 'policy.partnership.level'"}},
      {"bad --set value",
       kTinyScenario,
       {"--set", "policy.partnership.level=2"},
       {"key 'policy.partnership.level'"}},
      {"bad shorthand", kTinyScenario, {"--steps", "0"}, {"key 'scenario.steps' = 0: out of range"}},
      {"unknown region in --set",
       kTinyScenario,
       {"--set", "region.Orign.policy.protection.hotline=1"},
       {"no region named 'Orign'; did you mean 'Origin'?"}},
      {"usage error", kTinyScenario, {"--no-such-flag"}, {"tipsim: error:"}},
      {"memory estimate too large",
       kTinyScenario,
       {"--set", "population.size=4000000000", "--replicates", "64", "--threads", "64"},
       {"tipsim: error: not enough memory: this run needs about", "per replicate"}},
  };
  for (const BadInput& c : cases) {
    SCOPED_TRACE(c.what);
    fs::remove(folder_ / "bad.toml");
    if (c.scenario_text != nullptr) write("bad.toml", c.scenario_text);
    std::vector<std::string> args = {"run", "bad.toml", "-o", "out/run.h5", "--quiet"};
    args.insert(args.end(), c.extra_args.begin(), c.extra_args.end());
    const Outcome outcome = tipsim(args);
    EXPECT_EQ(outcome.exit_code, 2) << outcome.err;
    for (const std::string& expected : c.expected_in_stderr)
      EXPECT_TRUE(contains(outcome.err, expected)) << "expected: " << expected << "\nstderr:\n"
                                                   << outcome.err;
    EXPECT_TRUE(outcome.out.empty()) << outcome.out;
    EXPECT_TRUE(files_in("out").empty()) << "files left in the output folder";
  }
}

TEST_F(CliTest, EveryProblemOfAFileIsReportedAtOnce) {
  write("bad.toml", "scenario.steps = 0\npopulation.sise = 3\npolicy.partnership.level = true\n");
  const Outcome outcome = tipsim({"validate", "bad.toml"});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_TRUE(contains(outcome.err, "bad.toml:1:18: key 'scenario.steps'")) << outcome.err;
  EXPECT_TRUE(contains(outcome.err, "bad.toml:2:1: key 'population.sise'")) << outcome.err;
  EXPECT_TRUE(contains(outcome.err, "bad.toml:3:28: key 'policy.partnership.level'")) << outcome.err;
}

TEST_F(CliTest, UnwritableOutputFolderIsAFailureWithNothingLeft) {
  write("tiny.toml", kTinyScenario);
  const Outcome outcome = tipsim({"run", "tiny.toml", "-o", "/proc/tipsim-cannot-exist/run.h5", "--quiet"});
  EXPECT_EQ(outcome.exit_code, 1) << outcome.err;
  EXPECT_TRUE(contains(outcome.err, "tipsim: error:")) << outcome.err;
  EXPECT_TRUE(contains(outcome.err, "/proc/tipsim-cannot-exist")) << outcome.err;
}

TEST_F(CliTest, OutputThatIsAFolderIsBadInput) {
  write("tiny.toml", kTinyScenario);
  fs::create_directory(folder_ / "out");
  const Outcome outcome = tipsim({"run", "tiny.toml", "-o", "out", "--quiet"});
  EXPECT_EQ(outcome.exit_code, 2) << outcome.err;
  EXPECT_TRUE(contains(outcome.err, "is a folder")) << outcome.err;
  EXPECT_TRUE(files_in("out").empty());
}

TEST_F(CliTest, HelpSucceedsAndAMissingSubcommandIsAUsageError) {
  const Outcome help = tipsim({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* command : {"run", "validate", "scenarios"})
    EXPECT_TRUE(contains(help.out, command)) << help.out;
  const Outcome none = tipsim({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_TRUE(contains(none.err, "tipsim: error:")) << none.err;
}

// ---- validate --------------------------------------------------------------------------------

TEST_F(CliTest, ValidatePrintsResolvedTomlThatLoadsBack) {
  const fs::path path = write("tiny.toml", kTinyScenario);
  const std::vector<std::string> overrides = {"scenario.seed=99",
                                              "region.Destination.institutions.corruption=0.6"};
  const Outcome outcome = tipsim({"validate", "tiny.toml", "--set", overrides[0], "--set", overrides[1]});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_TRUE(outcome.err.empty()) << outcome.err;
  const Scenario expected = load_scenario_file(path.string(), overrides);
  Scenario printed;
  try {
    printed = load_scenario_text(outcome.out, "validate output");
  } catch (const ScenarioError& e) {
    FAIL() << e.what() << "\n" << outcome.out;
  }
  EXPECT_EQ(printed.name, expected.name);
  EXPECT_EQ(printed.seed(), 99u);
  EXPECT_EQ(printed.globals.value, expected.globals.value);
  ASSERT_EQ(printed.regions.size(), expected.regions.size());
  for (std::size_t r = 0; r < expected.regions.size(); ++r)
    EXPECT_EQ(printed.regions[r].values.value, expected.regions[r].values.value) << expected.regions[r].name;
  EXPECT_EQ(printed.regions[1].values[Param::institutions_corruption], 0.6);
  ASSERT_EQ(printed.routes.size(), 1u);
  EXPECT_EQ(printed.routes[0].share, 0.3);
}

// ---- scenarios -------------------------------------------------------------------------------

TEST_F(CliTest, ScenariosListsTheBundledFiles) {
  const fs::path bundled = fs::path(TIPSIM_SOURCE_DIR) / "scenarios";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(bundled))
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  ASSERT_FALSE(files.empty()) << "no bundled scenarios in " << bundled;
  const Outcome outcome = tipsim({"scenarios"}, {"TIPSIM_SCENARIO_DIR=" + bundled.string()});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  for (const fs::path& file : files) {
    const Scenario s = load_scenario_file(file.string());
    std::istringstream lines(outcome.out);
    std::string line;
    bool found = false;
    while (std::getline(lines, line)) {
      if (line.starts_with(file.filename().string() + " ")) {
        found = true;
        EXPECT_TRUE(contains(line, s.name)) << line;
        EXPECT_TRUE(contains(line, s.description)) << line;
      }
    }
    EXPECT_TRUE(found) << file.filename() << " missing from:\n" << outcome.out;
  }
}

TEST_F(CliTest, ScenariosFollowsTheEnvironmentVariable) {
  fs::create_directory(folder_ / "mine");
  write("mine/b.toml", "scenario.name = \"Bee\"\nscenario.description = \"Second.\"\n");
  write("mine/a.toml", "scenario.name = \"Ay\"\nscenario.description = \"First.\"\n");
  write("mine/notes.txt", "not a scenario");
  const Outcome outcome = tipsim({"scenarios"}, {"TIPSIM_SCENARIO_DIR=" + (folder_ / "mine").string()});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, "a.toml  Ay   First.\nb.toml  Bee  Second.\n");
}

// ---- run ---------------------------------------------------------------------------------------
// These need the model and the run file writer.

TEST_F(CliTest, RunWritesTheFileAndPrintsTheSummary) {
  write("tiny.toml", kTinyScenario);
  const Outcome outcome = tipsim({"run", "tiny.toml", "-o", "out/tiny.h5", "--replicates", "3", "--quiet"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(files_in("out"), std::vector<std::string>{"tiny.h5"});
  // --quiet, and stderr is not a terminal anyway: nothing on stderr.
  EXPECT_TRUE(outcome.err.empty()) << outcome.err;
  for (const char* expected :
       {"cli test", "TRUE", "OBSERVED", "persons in exploitation", "victims identified", "prosecutions",
        "convictions", "traffickers active", "10-90% range", "out/tiny.h5", "agent-steps per second"})
    EXPECT_TRUE(contains(outcome.out, expected)) << "expected: " << expected << "\n" << outcome.out;
  const output::RunFileContents contents = output::read_run_file((folder_ / "out/tiny.h5").string(), false);
  EXPECT_EQ(contents.dimension("replicate"), 3u);
}

TEST_F(CliTest, RunWritesToRunsFolderByDefault) {
  write("tiny.toml", kTinyScenario);
  const Outcome outcome = tipsim({"run", "tiny.toml", "--steps", "5", "--quiet"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(files_in("runs"), std::vector<std::string>{"tiny.h5"});
  EXPECT_TRUE(contains(outcome.out, "runs/tiny.h5")) << outcome.out;
  // One replicate: no range column.
  EXPECT_FALSE(contains(outcome.out, "10-90% range")) << outcome.out;
}

TEST_F(CliTest, InterruptedRunExitsWith130AndLeavesNoFile) {
  write("long.toml", kTinyScenario);
  // Long enough that it is still running when the signal comes.
  const std::vector<std::string> args = {
      "run",     "long.toml", "-o", "out/long.h5", "--quiet", "--set", "population.size=200000",
      "--steps", "20000"};
  for (const auto& [signal_number, expected_code] : {std::pair{SIGINT, 130}, std::pair{SIGTERM, 143}}) {
    SCOPED_TRACE(signal_number);
    const pid_t pid = start(args);
    // Once the temporary file exists the stop handlers are in place.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool writing = false;
    while (!writing && std::chrono::steady_clock::now() < deadline) {
      for (const std::string& name : files_in("out")) writing = writing || contains(name, ".partial");
      if (!writing) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(writing) << "the run never created its temporary file";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(pid, signal_number);
    const Outcome outcome = finish(pid);
    EXPECT_EQ(outcome.exit_code, expected_code) << outcome.err;
    EXPECT_TRUE(contains(outcome.err, "interrupted")) << outcome.err;
    EXPECT_TRUE(files_in("out").empty()) << "files left in the output folder";
  }
}

}  // namespace
}  // namespace tipsim

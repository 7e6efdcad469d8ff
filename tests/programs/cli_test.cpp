// The `tipsim` program as users meet it: the real binary run in a temporary
// folder, its exit codes, its messages, and the files it leaves (or not).
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "comparison.hpp"
#include "costs.hpp"
#include "events.hpp"
#include "export.hpp"
#include "metrics.hpp"
#include "params.hpp"
#include "process_helpers.hpp"
#include "run_file.hpp"
#include "scenario_loader.hpp"
#include "summary_table.hpp"
#include "test_paths.hpp"

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

using testing::contains;
using testing::Outcome;
using testing::read_text;

// A temporary working folder for one test, removed at the end; tipsim runs
// in it (tests/support/process_helpers.hpp).
class CliTest : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path path = folder_ / name;
    std::ofstream(path) << text;
    return path;
  }

  Outcome tipsim(const std::vector<std::string>& args,
                 const std::vector<std::string>& environment = {}) const {
    testing::Tipsim::Options options;
    options.environment = environment;
    return testing::run_tipsim(folder_.path(), args, options);
  }

  // Files in a folder of the test folder (none when it does not exist).
  std::vector<std::string> files_in(const std::string& name) const {
    return testing::names_in(folder_ / name);
  }

  testing::ScratchFolder folder_{"tipsim_cli"};
};

// ---- progress lines (--progress) -------------------------------------------------------

// The "N % of the steps done (D of T)" lines of stderr, in order: {N, D, T}.
std::vector<std::array<unsigned long, 3>> step_lines(const std::string& err) {
  std::vector<std::array<unsigned long, 3>> lines;
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    std::array<unsigned long, 3> l{};
    int end = 0;
    if (std::sscanf(line.c_str(), "tipsim: %lu %% of the steps done (%lu of %lu)%n", &l[0], &l[1], &l[2],
                    &end) == 3 &&
        end == static_cast<int>(line.size()))
      lines.push_back(l);
  }
  return lines;
}

// A figure's digits follow the magnitude it rounds to: three significant
// digits below 100 (two decimals from 1, one from 10), whole numbers from
// 100 and for whole values. At the edges, 0.99996 rounds to 1 and must read
// "1.00" beside "1.01", not "1"; 9.996 rounds to 10 and reads "10.0".
TEST(FormatFigure, DigitsFollowTheMagnitudeTheFigureRoundsTo) {
  const std::vector<std::pair<double, std::string>> cases = {
      {0.5, "0.5"},        {0.123456, "0.123"}, {0.0999996, "0.1"}, {0.99996, "1.00"},
      {-0.99996, "-1.00"}, {1.5, "1.50"},       {1.005, "1.00"},    {9.996, "10.0"},
      {-9.996, "-10.0"},   {12.34, "12.3"},     {99.96, "100"},     {99.94, "99.9"},
      {1234.5, "1,235"},   {3.0, "3"},          {1e15, "1e+15"},    {std::nan(""), "n/a"},
  };
  for (const auto& [value, text] : cases) EXPECT_EQ(cli::format_figure(value), text) << value;
}

TEST_F(CliTest, ProgressLinesSayEachTenthOfTheSteps) {
  write("s.toml", kTinyScenario);
  // One thread: every step is reported in order, so each tenth has its line.
  const Outcome one =
      tipsim({"run", "s.toml", "--replicates", "3", "--threads", "1", "--progress", "-o", "a.h5"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto lines = step_lines(one.err);
  ASSERT_EQ(lines.size(), 10u) << one.err;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    EXPECT_EQ(lines[k][0], 10 * (k + 1)) << one.err;
    EXPECT_EQ(lines[k][2], 60u) << one.err;  // 3 runs of 20 steps
    // The first step at which the tenth is reached.
    EXPECT_EQ(lines[k][1], 6 * (k + 1)) << one.err;
  }
  EXPECT_TRUE(contains(one.err, "tipsim: run 3 of 3 done")) << one.err;
  // Two threads: the lines still only go forward, and end with every step.
  const Outcome two =
      tipsim({"run", "s.toml", "--replicates", "3", "--threads", "2", "--progress", "-o", "b.h5"});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const auto forward = step_lines(two.err);
  ASSERT_FALSE(forward.empty()) << two.err;
  for (std::size_t k = 1; k < forward.size(); ++k) EXPECT_GT(forward[k][0], forward[k - 1][0]) << two.err;
  EXPECT_EQ(forward.back()[0], 100u) << two.err;
  // Without --progress, no such line.
  const Outcome quiet = tipsim({"run", "s.toml", "-o", "c.h5"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_TRUE(step_lines(quiet.err).empty()) << quiet.err;
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
  for (const char* command :
       {"run", "sweep", "compare", "allocate", "inspect", "export", "validate", "scenarios", "reference"})
    EXPECT_TRUE(contains(help.out, command)) << help.out;
  const Outcome none = tipsim({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_TRUE(contains(none.err, "tipsim: error:")) << none.err;
}

// ---- validate --------------------------------------------------------------------------------

// An exercise file is checked as the viewer checks it, and outlined.
TEST_F(CliTest, ValidateOutlinesAnExerciseOrLocatesItsMistakes) {
  write("tiny.toml", kTinyScenario);
  write("exercise.toml", R"([exercise]
title = "Outline"
scenario = "tiny.toml"

[[decision]]
step = 5
question = "Which way?"
[[decision.option]]
label = "Left"
[decision.option.set]
policy.prosecution.investigators_per_100k = 3
[[decision.option]]
label = "Right"
region = "Destination"
[decision.option.scale]
policy.protection.shelter_beds_per_100k = 2
)");
  Outcome outcome = tipsim({"validate", "exercise.toml"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("exercise   Outline"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("step    5  decision    Which way?"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("2. Right"), std::string::npos) << outcome.out;
  EXPECT_EQ(tipsim({"validate", "exercise.toml", "--set", "scenario.seed=3"}).exit_code, 2);
  write("bad.toml",
        "[exercise]\ntitle = \"Bad\"\nscenario = \"tiny.toml\"\n[[inject]]\nstep = 2\nheadline = "
        "\"x\"\nregion = \"Nowhere\"\n");
  outcome = tipsim({"validate", "bad.toml"});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.err.find("bad.toml:7:10: key 'inject.region' = \"Nowhere\": no region named 'Nowhere'"),
            std::string::npos)
      << outcome.err;
}

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
  const fs::path bundled = fs::path(test_paths::source_dir) / "scenarios";
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

// ---- reference -------------------------------------------------------------------------------

// `tipsim reference --json` is JSON that Python reads (the doc generators
// in scripts/ do), with every parameter key in table order and every row of
// the other tables.
TEST_F(CliTest, ReferenceJsonParsesAndListsEveryTable) {
  const Outcome outcome = tipsim({"reference", "--json"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_TRUE(outcome.err.empty()) << outcome.err;
  write("reference.json", outcome.out);
  testing::ProgramOptions python;
  python.program = "/usr/bin/python3";
  const char* script =
      "import json\n"
      "d = json.load(open('reference.json', encoding='utf-8'))\n"
      "assert isinstance(d.pop('version'), str)\n"
      "print(' '.join(f'{k}:{len(v)}' for k, v in d.items()))\n"
      "for p in d['parameters']: print(p['key'])\n";
  const Outcome read = testing::run_tipsim(folder_.path(), {"-c", script}, python);
  ASSERT_EQ(read.exit_code, 0) << read.err << "\n" << outcome.out;
  std::string expected =
      "parameters:" + std::to_string(kParamCount) + " metrics:" + std::to_string(kMetricCount) +
      " axes:12 summaries:" + std::to_string(summary_table().size()) +
      " lever_costs:" + std::to_string(lever_costs().size()) + " event_kinds:" + std::to_string(kEventKinds) +
      " effects:" + std::to_string(effect_table().size()) +
      " export_tables:" + std::to_string(output::export_table_specs().size()) + "\n";
  for (const ParamSpec& s : param_table()) expected += std::string(s.key) + "\n";
  EXPECT_EQ(read.out, expected);

  const Outcome bare = tipsim({"reference"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_TRUE(contains(bare.err, "--json")) << bare.err;
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

// With strata most persons of the model are counts: the summary must not
// call them agents (the calibrated world runs this way).
TEST_F(CliTest, TheSummarySaysWhetherThePersonsAreAgentsOrCounts) {
  write("tiny.toml", kTinyScenario);
  const Outcome agents =
      tipsim({"run", "tiny.toml", "-o", "agents.h5", "--set", "population.scale=10", "--quiet"});
  ASSERT_EQ(agents.exit_code, 0) << agents.err;
  EXPECT_TRUE(contains(agents.out, "30,000 people (3,000 agents)")) << agents.out;
  const Outcome strata = tipsim({"run", "tiny.toml", "-o", "strata.h5", "--set", "population.scale=10",
                                 "--set", "population.untouched_in_strata=true", "--quiet"});
  ASSERT_EQ(strata.exit_code, 0) << strata.err;
  EXPECT_TRUE(contains(strata.out, "30,000 people (3,000 persons of the model, the untouched as counts)"))
      << strata.out;
  EXPECT_FALSE(contains(strata.out, "agents)")) << strata.out;
}

TEST_F(CliTest, RunWritesToRunsFolderByDefault) {
  write("tiny.toml", kTinyScenario);
  const Outcome outcome = tipsim({"run", "tiny.toml", "--steps", "5", "--quiet"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(files_in("runs"), std::vector<std::string>{"tiny.h5"});
  EXPECT_TRUE(contains(outcome.out, "runs/tiny.h5")) << outcome.out;
  // One replicate: no range column.
  EXPECT_FALSE(contains(outcome.out, "10-90% range")) << outcome.out;
  // The period the counts are totals over, in years: one year is "1 year".
  for (const auto& [steps, period] :
       {std::pair{"1", "totals over 1 year,"}, std::pair{"2", "totals over 2 years,"}}) {
    const Outcome yearly = tipsim({"run", "tiny.toml", "--steps", steps, "--set", "scenario.step_days=365",
                                   "-o", std::string("yearly-") + steps + ".h5", "--quiet"});
    ASSERT_EQ(yearly.exit_code, 0) << yearly.err;
    EXPECT_TRUE(contains(yearly.out, period)) << "expected: " << period << "\n" << yearly.out;
  }
}

TEST_F(CliTest, InterruptedRunExitsWith130AndLeavesNoFile) {
  write("long.toml", kTinyScenario);
  // Long enough that it is still running when the signal comes.
  const std::vector<std::string> args = {
      "run",     "long.toml", "-o", "out/long.h5", "--quiet", "--set", "population.size=200000",
      "--steps", "20000"};
  for (const auto& [signal_number, expected_code] : {std::pair{SIGINT, 130}, std::pair{SIGTERM, 143}}) {
    SCOPED_TRACE(signal_number);
    testing::Tipsim program(folder_.path(), args);
    // Once the temporary file exists the stop handlers are in place and the
    // one run, seconds long, is under way: a signal from then on stops it.
    ASSERT_TRUE(testing::wait_for_file(program, folder_ / "out", ".partial-"))
        << "the run never created its temporary file";
    program.signal(signal_number);
    const Outcome outcome = program.finish();
    EXPECT_EQ(outcome.exit_code, expected_code) << outcome.err;
    // Signalled once the handlers are in place, often before the first step.
    EXPECT_TRUE(contains(outcome.err, "tipsim: interrupted before the first step; ") ||
                contains(outcome.err, "tipsim: interrupted after "))
        << outcome.err;
    EXPECT_TRUE(files_in("out").empty()) << "files left in the output folder";
  }
}

TEST_F(CliTest, InterruptedRunSaysHowFarItGot) {
  write("long.toml", kTinyScenario);
  testing::Tipsim program(folder_.path(), {"run", "long.toml", "-o", "out/long.h5", "--progress", "--set",
                                           "population.size=200000", "--steps", "20000"});
  // Once it says a tenth of its steps are done.
  ASSERT_TRUE(testing::wait_for_stderr(program, [](const std::string& err) {
    return contains(err, "tipsim: 10 % of the steps done");
  })) << program.err_so_far();
  program.signal(SIGINT);
  const Outcome outcome = program.finish();
  EXPECT_EQ(outcome.exit_code, 130) << outcome.err;
  unsigned long reached = 0, total = 0;
  const std::size_t at = outcome.err.find("tipsim: interrupted after ");
  ASSERT_NE(at, std::string::npos) << outcome.err;
  ASSERT_EQ(
      std::sscanf(outcome.err.c_str() + at, "tipsim: interrupted after %lu of %lu steps; ", &reached, &total),
      2)
      << outcome.err;
  EXPECT_EQ(total, 20000u) << outcome.err;
  EXPECT_GE(reached, 2000u) << outcome.err;
  EXPECT_LT(reached, total) << outcome.err;
  EXPECT_TRUE(files_in("out").empty()) << "files left in the output folder";
}

// ---- sweep ------------------------------------------------------------------------------------

// The part of a (point, ...) variable's values that belongs to one point.
std::vector<double> point_values(const output::Variable& v, std::size_t point) {
  const std::size_t per_point = v.values.size() / v.shape.at(0);
  return {v.values.begin() + static_cast<std::ptrdiff_t>(point * per_point),
          v.values.begin() + static_cast<std::ptrdiff_t>((point + 1) * per_point)};
}

TEST_F(CliTest, SweepRunsTheFullGridInOrderIntoOneFile) {
  const fs::path path = write("tiny.toml", kTinyScenario);
  const Outcome outcome = tipsim({"sweep", "tiny.toml", "--vary", "policy.partnership.level=0:1:3", "--vary",
                                  "policy.protection.non_punishment=false,true", "--replicates", "2", "-o",
                                  "out/sweep.h5", "--quiet"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(files_in("out"), std::vector<std::string>{"sweep.h5"});
  EXPECT_TRUE(contains(outcome.out, "6 points x 2 replicates")) << outcome.out;
  EXPECT_TRUE(contains(outcome.out, "policy.protection.non_punishment")) << outcome.out;

  const output::RunFileContents f = output::read_run_file((folder_ / "out/sweep.h5").string(), false);
  EXPECT_EQ(f.experiment, output::ExperimentKind::Sweep);
  EXPECT_EQ(f.dimension("point"), 6u);
  EXPECT_EQ(f.dimension("replicate"), 2u);
  EXPECT_EQ(f.sweep_definition,
            "policy.partnership.level=0:1:3\npolicy.protection.non_punishment=false,true\n");
  ASSERT_EQ(f.sweep_keys.size(), 2u);
  EXPECT_EQ(f.sweep_keys[0].name, "policy.partnership.level");
  EXPECT_EQ(f.sweep_keys[0].values, (std::vector<double>{0, 0, 0.5, 0.5, 1, 1}));
  EXPECT_EQ(f.sweep_keys[1].name, "policy.protection.non_punishment");
  EXPECT_EQ(f.sweep_keys[1].values, (std::vector<double>{0, 1, 0, 1, 0, 1}));
  // Each point is the scenario with its values as --set overrides.
  const char* levels[] = {"0.0", "0.0", "0.5", "0.5", "1.0", "1.0"};
  ASSERT_EQ(f.point_resolved_toml.size(), 6u);
  for (std::size_t p = 0; p < 6; ++p) {
    const Scenario expected = load_scenario_file(
        path.string(), {"scenario.replicates=2", std::string("policy.partnership.level=") + levels[p],
                        std::string("policy.protection.non_punishment=") + (p % 2 == 0 ? "false" : "true")});
    EXPECT_EQ(f.point_resolved_toml[p], resolved_toml(expected)) << "point " << p;
  }
}

TEST_F(CliTest, ASweepPointEqualsTheRunWithTheSameValues) {
  write("tiny.toml", kTinyScenario);
  const Outcome sweep = tipsim({"sweep", "tiny.toml", "--vary", "policy.partnership.level=0.2,0.7",
                                "--replicates", "2", "--seed", "11", "-o", "out/sweep.h5", "--quiet"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const Outcome single = tipsim({"run", "tiny.toml", "--set", "policy.partnership.level=0.7", "--replicates",
                                 "2", "--seed", "11", "-o", "out/single.h5", "--quiet", "--threads", "1"});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  const output::RunFileContents swept = output::read_run_file((folder_ / "out/sweep.h5").string());
  const output::RunFileContents alone = output::read_run_file((folder_ / "out/single.h5").string());
  ASSERT_EQ(swept.series.size(), alone.series.size());
  for (std::size_t i = 0; i < swept.series.size(); ++i) {
    EXPECT_EQ(swept.series[i].name, alone.series[i].name);
    EXPECT_TRUE(point_values(swept.series[i], 1) == alone.series[i].values) << swept.series[i].name;
  }
  for (std::size_t i = 0; i < swept.summary.size(); ++i)
    EXPECT_TRUE(point_values(swept.summary[i], 1) == alone.summary[i].values) << swept.summary[i].name;
  EXPECT_EQ(swept.point_resolved_toml[1], alone.resolved_toml);
}

// A key two regions set for themselves: a world --set reaches only the
// third, and says so; --scale reaches all three, in run and in --vary.
constexpr const char* kRegionalKeys = R"(
[scenario]
steps = 8
[population]
size = 3000
[policy.prosecution]
investigators_per_100k = 2
[[region]]
name = "North"
policy.prosecution.investigators_per_100k = 6
[[region]]
name = "South"
[[region]]
name = "East"
policy.prosecution.investigators_per_100k = 0.5
)";

TEST_F(CliTest, ASetThatRegionsOverrideSaysSoAndAScaleReachesEveryRegion) {
  write("regions.toml", kRegionalKeys);
  const Outcome set = tipsim({"run", "regions.toml", "--set", "policy.prosecution.investigators_per_100k=3",
                              "-o", "out/set.h5", "--quiet"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_TRUE(
      contains(set.err,
               "tipsim: note: --set policy.prosecution.investigators_per_100k=3 does not reach 'North', "
               "'East', which set their own value"))
      << set.err;
  const Outcome scale =
      tipsim({"run", "regions.toml", "--scale", "policy.prosecution.investigators_per_100k=0.5", "-o",
              "out/scale.h5", "--quiet"});
  ASSERT_EQ(scale.exit_code, 0) << scale.err;
  EXPECT_TRUE(scale.err.empty()) << scale.err;
  const Scenario scaled = load_scenario_text(
      output::read_run_file((folder_ / "out/scale.h5").string(), false).resolved_toml, "resolved");
  EXPECT_EQ(scaled.get(Param::policy_prosecution_investigators_per_100k), 1);
  EXPECT_EQ(scaled.regions[0].values[Param::policy_prosecution_investigators_per_100k], 3);
  EXPECT_EQ(scaled.regions[1].values[Param::policy_prosecution_investigators_per_100k], 1);
  EXPECT_EQ(scaled.regions[2].values[Param::policy_prosecution_investigators_per_100k], 0.25);
  // A sweep over the factor: the points' label is the factor, and each
  // point is the scale applied to every region.
  const Outcome sweep =
      tipsim({"sweep", "regions.toml", "--vary", "policy.prosecution.investigators_per_100k*=0.5,4", "-o",
              "out/sweep.h5", "--quiet"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  EXPECT_TRUE(contains(sweep.out, "  x0.5  ") && contains(sweep.out, "  x4  ")) << sweep.out;
  const output::RunFileContents f = output::read_run_file((folder_ / "out/sweep.h5").string(), false);
  ASSERT_EQ(f.sweep_keys.size(), 1u);
  EXPECT_EQ(f.sweep_keys[0].name, "policy.prosecution.investigators_per_100k*");
  EXPECT_EQ(f.sweep_keys[0].values, (std::vector<double>{0.5, 4}));
  const Scenario high = load_scenario_text(f.point_resolved_toml.at(1), "point 1");
  EXPECT_EQ(high.regions[0].values[Param::policy_prosecution_investigators_per_100k], 24);
  EXPECT_EQ(high.regions[2].values[Param::policy_prosecution_investigators_per_100k], 2);
  // Bad factors exit 2 with the reason.
  const Outcome bad = tipsim({"run", "regions.toml", "--scale", "policy.protection.non_punishment=2", "-o",
                              "out/bad.h5", "--quiet"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "a switch (true/false): set it with --set instead")) << bad.err;
  EXPECT_FALSE(fs::exists(folder_ / "out/bad.h5"));
}

TEST_F(CliTest, SweepRefusesBadAxesWithLocatedMessages) {
  write("tiny.toml", kTinyScenario);
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"policy.partnership.levle=0:1:3",
       {"tipsim: error: --vary: key 'policy.partnership.levle' = 0.0: unknown key",
        "did you mean 'policy.partnership.level'", "(from --vary policy.partnership.levle=0:1:3)"}},
      {"policy.partnership.level=0:2:3",
       {"tipsim: error: --vary: key 'policy.partnership.level' = 2: out of range", "from 0 to 1",
        "(from --vary policy.partnership.level=0:2:3)"}},
      {"policy.partnership.level=0:1",
       {"--vary: key 'policy.partnership.level' = 0:1: a range must be LO:HI:N"}},
      {"scenario.steps=5,10", {"--vary: key 'scenario.steps'", "every point of a sweep shares"}},
      {"region.Nowhere.policy.partnership.level=0,1", {"no region named 'Nowhere'"}},
  };
  for (const auto& [vary, expected] : cases) {
    SCOPED_TRACE(vary);
    const Outcome outcome = tipsim({"sweep", "tiny.toml", "--vary", vary, "-o", "out/sweep.h5", "--quiet"});
    EXPECT_EQ(outcome.exit_code, 2) << outcome.err;
    for (const std::string& text : expected) EXPECT_TRUE(contains(outcome.err, text)) << outcome.err;
    // One message per problem, not one per value.
    EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << outcome.err;
    EXPECT_TRUE(outcome.out.empty()) << outcome.out;
    EXPECT_TRUE(files_in("out").empty());
  }
  // A value that is wrong at every point is reported once.
  const Outcome repeated = tipsim({"sweep", "tiny.toml", "--vary", "policy.partnership.level=0,1", "--vary",
                                   "population.size=0", "-o", "out/sweep.h5", "--quiet"});
  EXPECT_EQ(repeated.exit_code, 2);
  const std::string line = "key 'population.size' = 0: out of range";
  EXPECT_EQ(repeated.err.find(line), repeated.err.rfind(line)) << repeated.err;
}

// ---- compare ---------------------------------------------------------------------------------

// An arm of the tiny world with more police, shelters and outreach from step 5.
constexpr const char* kTinyArm = R"(
extends = "tiny.toml"
[scenario]
name = "more of everything"
seed = 12345   # replaced by the baseline's: arms share its random streams
[[intervention]]
name = "surge"
start_step = 5
end_step = 20
[intervention.scale]
"policy.prosecution.investigators_per_100k" = 6.0
"policy.protection.shelter_beds_per_100k" = 4.0
"policy.protection.outreach_workers_per_100k" = 4.0
)";

TEST_F(CliTest, CompareOfAScenarioWithItselfGivesEffectsOfExactlyZero) {
  write("tiny.toml", kTinyScenario);
  const Outcome outcome =
      tipsim({"compare", "tiny.toml", "tiny.toml", "--replicates", "3", "-o", "out/self.h5", "--quiet"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  const output::RunFileContents f = output::read_run_file((folder_ / "out/self.h5").string());
  EXPECT_EQ(f.experiment, output::ExperimentKind::Comparison);
  EXPECT_EQ(f.arm_names, (std::vector<std::string>{"cli test", "cli test (2)"}));
  for (const output::Variable& v : f.series) EXPECT_TRUE(point_values(v, 0) == point_values(v, 1)) << v.name;
  for (const EffectSpec& e : effect_table()) {
    const std::string name(e.name);
    SCOPED_TRACE(name);
    for (const char* suffix : {"", "_mean", "_ci_low", "_ci_high"}) {
      const output::Variable* v = f.find_comparison(name + suffix);
      ASSERT_NE(v, nullptr) << suffix;
      for (double x : v->values) {
        // Nothing is averted, so the cost per victim-year averted is undefined.
        if (e.sign == EffectSign::CostPerAverted) {
          EXPECT_TRUE(std::isnan(x));
        } else {
          EXPECT_EQ(x, 0.0) << suffix;
        }
      }
    }
  }
  EXPECT_TRUE(contains(outcome.out, "cli test (2) vs cli test")) << outcome.out;
}

TEST_F(CliTest, CompareEndsWithTheEffectTableTheFileHolds) {
  write("tiny.toml", kTinyScenario);
  write("arm.toml", kTinyArm);
  const Outcome outcome = tipsim({"compare", "tiny.toml", "arm.toml", "arm.toml", "--replicates", "4", "-o",
                                  "out/compare.h5", "--quiet"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  const output::RunFileContents f = output::read_run_file((folder_ / "out/compare.h5").string(), false);
  ASSERT_EQ(f.comparison_arms, (std::vector<std::string>{"more of everything", "more of everything (2)"}));
  EXPECT_EQ(f.number("seed"), 7);
  // Every arm ran on the baseline's seed.
  for (const std::string& toml : f.point_resolved_toml) EXPECT_TRUE(contains(toml, "seed = 7\n")) << toml;

  std::vector<std::string> lines;
  {
    std::istringstream text(outcome.out);
    for (std::string line; std::getline(text, line);) lines.push_back(line);
  }
  bool any_effect = false;
  for (std::size_t a = 0; a < f.comparison_arms.size(); ++a) {
    const std::string heading = f.comparison_arms[a] + " vs cli test";
    const auto at = std::find(lines.begin(), lines.end(), heading);
    ASSERT_NE(at, lines.end()) << heading << "\n" << outcome.out;
    for (std::size_t k = 0; k < effect_table().size(); ++k) {
      const EffectSpec& e = effect_table()[k];
      const std::string row = *(at + 2 + static_cast<std::ptrdiff_t>(k));
      SCOPED_TRACE(row);
      EXPECT_TRUE(row.starts_with("  " + std::string(e.label)));
      auto value = [&](const std::string& suffix) {
        return f.find_comparison(std::string(e.name) + suffix)->values[a];
      };
      const double mean = value("_mean"), low = value("_ci_low"), high = value("_ci_high");
      any_effect = any_effect || (mean != 0 && !std::isnan(mean));
      EXPECT_TRUE(contains(row, " " + cli::format_figure(mean) + " "));
      if (!std::isnan(low)) {
        EXPECT_TRUE(contains(row, cli::format_figure(low) + " to " + cli::format_figure(high)));
      }
      EXPECT_TRUE(contains(row, std::string(e.units)));
    }
  }
  EXPECT_TRUE(any_effect) << "the surge changed nothing: the test would prove little";
}

// Arms whose surge starts at step 5 share their first five steps; a sweep
// of a lever from step 0 shares none. The summary says which.
TEST_F(CliTest, TheSummarySaysHowManyFirstStepsThePointsShared) {
  write("tiny.toml", kTinyScenario);
  write("arm.toml", kTinyArm);
  const Outcome compared =
      tipsim({"compare", "tiny.toml", "arm.toml", "--replicates", "2", "-o", "out/compare.h5"});
  ASSERT_EQ(compared.exit_code, 0) << compared.err;
  EXPECT_TRUE(
      contains(compared.out, "  shared      the points' first 5 steps are the same: run once per replicate"))
      << compared.out;
  const Outcome swept = tipsim({"sweep", "tiny.toml", "--vary", "policy.protection.hotline=0.2,0.8",
                                "--replicates", "2", "-o", "out/sweep.h5"});
  ASSERT_EQ(swept.exit_code, 0) << swept.err;
  EXPECT_FALSE(contains(swept.out, "shared")) << swept.out;
  // An arm of another world beside them: the two of the same world share.
  write("hotline.toml",
        "extends = \"tiny.toml\"\n[scenario]\nname = \"hotline\"\n"
        "[policy.protection]\nhotline = 0.9\n");
  const Outcome mixed =
      tipsim({"compare", "tiny.toml", "hotline.toml", "arm.toml", "--replicates", "2", "-o", "out/mixed.h5"});
  ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_TRUE(contains(mixed.out,
                       "  shared      2 of the 3 points share their first steps with points of the same "
                       "world: run once per replicate, then forked"))
      << mixed.out;
}

// The cost-effectiveness table: one row per arm ordered by extra cost, the
// same table from compare and from inspect, the figures the file holds, and
// the value per victim-year as given.
TEST_F(CliTest, CompareEndsWithTheCostEffectivenessTableTheFileHolds) {
  write("tiny.toml", kTinyScenario);
  write("arm.toml", kTinyArm);
  const Outcome outcome = tipsim({"compare", "tiny.toml", "arm.toml", "--replicates", "4",
                                  "--value-per-victim-year", "250000", "-o", "out/compare.h5", "--quiet"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  const auto table_of = [](const std::string& out) {
    const auto at = out.find("Cost-effectiveness (--outcome victim-years), arms by extra cost");
    std::string table = at == std::string::npos ? std::string() : out.substr(at, out.find("\n\n", at) - at);
    while (!table.empty() && table.back() == '\n') table.pop_back();
    return table;
  };
  const std::string table = table_of(outcome.out);
  ASSERT_FALSE(table.empty()) << outcome.out;
  EXPECT_TRUE(contains(table, "at 250,000 USD per victim-year averted")) << table;
  const Outcome inspect = tipsim({"inspect", "out/compare.h5"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(table_of(inspect.out), table);

  const output::RunFileContents f = output::read_run_file((folder_ / "out/compare.h5").string(), false);
  EXPECT_EQ(f.value_per_victim_year, 250000);
  const output::Variable* status = f.find_comparison("frontier_status");
  ASSERT_NE(status, nullptr);
  ASSERT_EQ(status->texts.size(), 1u);
  const output::Variable* benefit = f.find_comparison("net_monetary_benefit_mean");
  ASSERT_NE(benefit, nullptr);
  // The net benefit is the value times the victim-years averted less the
  // extra spending, on the means.
  const double averted = f.find_comparison("victim_years_averted_mean")->values[0];
  const double extra = f.find_comparison("spending_mean")->values[0];
  EXPECT_NEAR(benefit->values[0], 250000 * averted - extra, 1e-6 * std::max(1.0, std::abs(extra)));
  EXPECT_TRUE(contains(table, "more of everything")) << table;
  EXPECT_TRUE(contains(table, cli::format_figure(extra))) << table;
  ASSERT_NE(f.find_comparison("acceptability"), nullptr);
  EXPECT_EQ(f.find_comparison("acceptability")->shape,
            (std::vector<std::size_t>{acceptability_values().size(), 1}));

  const Outcome negative = tipsim({"compare", "tiny.toml", "arm.toml", "--value-per-victim-year", "-5", "-o",
                                   "out/negative.h5", "--quiet"});
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_TRUE(contains(negative.err, "--value-per-victim-year")) << negative.err;
  EXPECT_FALSE(fs::exists(folder_ / "out/negative.h5"));
}

// --outcome harm: the cost-effectiveness counts QALYs of harm averted, at
// the value per QALY given (or the baseline's harm.usd_per_qaly); the file
// says so and inspect prints the same table; both outcomes' effects are
// in the effect table whatever the choice.
TEST_F(CliTest, CompareWithTheHarmOutcomeValuesQalysAverted) {
  write("tiny.toml", kTinyScenario);
  write("arm.toml", kTinyArm);
  const Outcome outcome = tipsim({"compare", "tiny.toml", "arm.toml", "--replicates", "4", "--outcome",
                                  "harm", "--value-per-qaly", "50000", "-o", "out/harm.h5", "--quiet"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  const auto table_of = [](const std::string& out) {
    const auto at = out.find("Cost-effectiveness (--outcome harm)");
    std::string table = at == std::string::npos ? std::string() : out.substr(at, out.find("\n\n", at) - at);
    while (!table.empty() && table.back() == '\n') table.pop_back();
    return table;
  };
  const std::string table = table_of(outcome.out);
  ASSERT_FALSE(table.empty()) << outcome.out;
  EXPECT_TRUE(contains(table, "at 50,000 USD per QALY averted (--value-per-qaly)")) << table;
  EXPECT_TRUE(contains(outcome.out, "harm averted (QALYs)")) << outcome.out;
  EXPECT_TRUE(contains(outcome.out, "victim-years of exploitation averted")) << outcome.out;
  const Outcome inspect = tipsim({"inspect", "out/harm.h5"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(table_of(inspect.out), table);
  const output::RunFileContents f = output::read_run_file((folder_ / "out/harm.h5").string(), false);
  EXPECT_EQ(f.outcome, Averted::Harm);
  EXPECT_EQ(f.value_per_victim_year, 50000);
  // The net benefit is the value times the QALYs averted less the extra spending.
  const double averted = f.find_comparison("harm_averted_mean")->values[0];
  const double extra = f.find_comparison("spending_mean")->values[0];
  EXPECT_NEAR(f.find_comparison("net_monetary_benefit_mean")->values[0], 50000 * averted - extra,
              1e-6 * std::max(1.0, std::abs(extra)));
  // Without --value-per-qaly: the baseline's harm.usd_per_qaly.
  const Outcome by_default =
      tipsim({"compare", "tiny.toml", "arm.toml", "--replicates", "2", "--outcome", "harm", "--set",
              "harm.usd_per_qaly=12345", "-o", "out/harm_default.h5", "--quiet"});
  ASSERT_EQ(by_default.exit_code, 0) << by_default.err;
  EXPECT_TRUE(contains(by_default.out, "at 12,345 USD per QALY averted")) << by_default.out;
  const Outcome bad = tipsim({"compare", "tiny.toml", "arm.toml", "--outcome", "lives", "-o", "out/bad.h5"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "--outcome")) << bad.err;
  EXPECT_FALSE(fs::exists(folder_ / "out/bad.h5"));
}

// A toy world with a known best split: one region and no routes, so border
// screening (which finds people in transit) can do nothing, while demand
// reduction removes victims from the market. All the money should go to
// demand reduction, at every budget level.
constexpr const char* kNoBorders = R"(
[scenario]
name = "no borders"
steps = 200
seed = 3
burn_in_steps = 10
[population]
size = 20000
[traffickers]
initial_per_100k = 600
[market]
demand_sexual_per_100k = 1500
demand_domestic_per_100k = 1000
)";

TEST_F(CliTest, AllocateFindsTheKnownBestSplitOfAToyWorld) {
  write("toy.toml", kNoBorders);
  // 2 000 USD a year for 20 000 people is 10 000 per 100 000: demand
  // reduction at level 1, or border screening at 1/3.
  const Outcome outcome =
      tipsim({"allocate", "toy.toml", "--budget", "2000", "--over", "policy.prevention.demand_reduction",
              "--over", "policy.protection.border_screening", "--resolution", "2", "--levels", "2",
              "--replicates", "4", "-o", "out/toy.h5", "--quiet"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  for (const char* level : {"added 1,000 USD a year", "added 2,000 USD a year"}) {
    EXPECT_TRUE(contains(outcome.out, std::string(level) +
                                          ": best split policy.prevention.demand_reduction 1, "
                                          "policy.protection.border_screening 0"))
        << outcome.out;
  }
  // The file: every split an arm of the comparison, the frontier on record.
  const output::RunFileContents f = output::read_run_file((folder_ / "out/toy.h5").string(), false);
  EXPECT_EQ(f.experiment, output::ExperimentKind::Comparison);
  EXPECT_EQ(f.dimension("point"), 1u + 2 * 3);
  const hid_t file = H5Fopen((folder_ / "out/toy.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t best = H5Dopen(file, "allocation/frontier_best_point", H5P_DEFAULT);
  ASSERT_GE(best, 0);
  double points[2] = {-1, -1};
  H5Dread(best, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, points);
  H5Dclose(best);
  H5Fclose(file);
  // Points 1-3 are the splits (1, 0), (0.5, 0.5), (0, 1) at 1 000 USD, 4-6 at 2 000.
  EXPECT_EQ(points[0], 1);
  EXPECT_EQ(points[1], 4);
  // Optimising the harm-weighted outcome finds the same split here (fewer
  // victims, less harm) and says what it counted.
  const Outcome harm =
      tipsim({"allocate", "toy.toml", "--budget", "2000", "--over", "policy.prevention.demand_reduction",
              "--over", "policy.protection.border_screening", "--resolution", "2", "--levels", "2",
              "--replicates", "4", "--outcome", "harm", "-o", "out/toy_harm.h5", "--quiet"});
  ASSERT_EQ(harm.exit_code, 0) << harm.err;
  EXPECT_TRUE(contains(harm.out, "Best: the most harm averted on average (QALYs, --outcome harm)."))
      << harm.out;
  EXPECT_TRUE(contains(harm.out, "harm averted (QALYs)")) << harm.out;
  EXPECT_TRUE(contains(harm.out,
                       "added 2,000 USD a year: best split policy.prevention.demand_reduction 1, "
                       "policy.protection.border_screening 0"))
      << harm.out;
  const output::RunFileContents h = output::read_run_file((folder_ / "out/toy_harm.h5").string(), false);
  EXPECT_EQ(h.allocation_objective, "QALYs averted");
  ASSERT_NE(h.find_allocation("frontier_harm_averted_mean"), nullptr);
}

TEST_F(CliTest, AllocateRefusesBadBudgetsAndKeysThatAreNotLevers) {
  write("toy.toml", kNoBorders);
  const Outcome negative = tipsim({"allocate", "toy.toml", "--budget", "-5", "-o", "out/a.h5", "--quiet"});
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_TRUE(contains(negative.err, "the added budget must be a positive amount of USD per year"))
      << negative.err;
  const Outcome not_lever =
      tipsim({"allocate", "toy.toml", "--budget", "1e6", "--over", "institutions.corruption", "--over",
              "policy.protection.hotline", "-o", "out/b.h5", "--quiet"});
  EXPECT_EQ(not_lever.exit_code, 2);
  EXPECT_TRUE(contains(not_lever.err,
                       "'institutions.corruption' is not a lever with a unit cost; --over takes a "
                       "lever money buys more of: policy.prosecution.investigators_per_100k"))
      << not_lever.err;
  const Outcome budget_mode = tipsim({"allocate", "toy.toml", "--budget", "1e6", "--set",
                                      "budget.total_usd_per_year=1e6", "-o", "out/c.h5", "--quiet"});
  EXPECT_EQ(budget_mode.exit_code, 2);
  EXPECT_TRUE(contains(budget_mode.err, "the scenario is in budget mode")) << budget_mode.err;
  EXPECT_TRUE(files_in("out").empty());
}

TEST_F(CliTest, CompareRefusesArmsThatDoNotShareTheWorld) {
  write("tiny.toml", kTinyScenario);
  write("short.toml", "extends = \"tiny.toml\"\n[scenario]\nsteps = 10\n");
  write("elsewhere.toml", "[scenario]\nsteps = 20\n[population]\nsize = 3000\n");
  const Outcome outcome =
      tipsim({"compare", "tiny.toml", "short.toml", "elsewhere.toml", "-o", "out/c.h5", "--quiet"});
  EXPECT_EQ(outcome.exit_code, 2) << outcome.err;
  EXPECT_TRUE(contains(outcome.err, "short.toml: scenario.steps is 10 but the baseline tiny.toml has 20"))
      << outcome.err;
  EXPECT_TRUE(contains(outcome.err,
                       "elsewhere.toml: the list of regions is [world] but the baseline tiny.toml "
                       "has [Origin, Destination]"))
      << outcome.err;
  EXPECT_TRUE(files_in("out").empty());
  const Outcome alone = tipsim({"compare", "tiny.toml", "-o", "out/c.h5"});
  EXPECT_EQ(alone.exit_code, 2) << alone.err;
}

// ---- run --from, inspect -----------------------------------------------------------------------

void expect_same_contents(const output::RunFileContents& a, const output::RunFileContents& b) {
  ASSERT_EQ(a.series.size(), b.series.size());
  for (std::size_t i = 0; i < a.series.size(); ++i) {
    EXPECT_EQ(a.series[i].name, b.series[i].name);
    EXPECT_EQ(a.series[i].shape, b.series[i].shape);
    EXPECT_TRUE(a.series[i].values == b.series[i].values) << a.series[i].name;
  }
  ASSERT_EQ(a.summary.size(), b.summary.size());
  for (std::size_t i = 0; i < a.summary.size(); ++i) {
    // Summaries may hold NaN (a share of nobody): compare the bytes.
    ASSERT_EQ(a.summary[i].values.size(), b.summary[i].values.size());
    EXPECT_EQ(std::memcmp(a.summary[i].values.data(), b.summary[i].values.data(),
                          a.summary[i].values.size() * sizeof(double)),
              0)
        << a.summary[i].name;
  }
  EXPECT_EQ(a.point_resolved_toml, b.point_resolved_toml);
  EXPECT_EQ(a.resolved_toml, b.resolved_toml);
  EXPECT_EQ(a.source_text, b.source_text);
  EXPECT_EQ(a.experiment, b.experiment);
  EXPECT_EQ(a.arm_names, b.arm_names);
  EXPECT_EQ(a.sweep_definition, b.sweep_definition);
  EXPECT_EQ(a.event_log, b.event_log);
  EXPECT_EQ(a.snapshot_every, b.snapshot_every);
}

TEST_F(CliTest, RunFromReproducesEverySeriesAndEvent) {
  write("tiny.toml", kTinyScenario);
  write("arm.toml", kTinyArm);
  const std::vector<std::vector<std::string>> originals = {
      {"run", "tiny.toml", "--replicates", "2", "--events", "--snapshot-every", "5", "--set",
       "region.Origin.policy.partnership.level=0.9", "-o", "out/run.h5"},
      {"sweep", "tiny.toml", "--vary", "policy.partnership.level=0.1,0.6", "-o", "out/sweep.h5"},
      {"compare", "tiny.toml", "arm.toml", "--replicates", "2", "-o", "out/compare.h5"},
  };
  for (std::vector<std::string> args : originals) {
    const std::string original = args.back(), copy = "out/rerun-" + fs::path(original).filename().string();
    SCOPED_TRACE(original);
    args.push_back("--quiet");
    const Outcome first = tipsim(args);
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const Outcome again = tipsim({"run", "--from", original, "-o", copy, "--quiet", "--threads", "1"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    const output::RunFileContents a = output::read_run_file((folder_ / original).string());
    const output::RunFileContents b = output::read_run_file((folder_ / copy).string());
    expect_same_contents(a, b);
    if (a.event_log) {
      const output::EventTable events_a = output::read_event_table((folder_ / original).string());
      const output::EventTable events_b = output::read_event_table((folder_ / copy).string());
      EXPECT_GT(events_a.size(), 0u);
      EXPECT_TRUE(events_a.columns == events_b.columns);
    }
    // The printed table is the same kind as the original's.
    EXPECT_EQ(first.out.substr(0, first.out.find('\n')), again.out.substr(0, again.out.find('\n')));
  }
  const Outcome changed = tipsim({"run", "--from", "out/run.h5", "--seed", "3", "-o", "out/changed.h5"});
  EXPECT_EQ(changed.exit_code, 2);
  EXPECT_TRUE(contains(changed.err, "--from re-runs the file exactly as it was written")) << changed.err;
  const Outcome over_itself = tipsim({"run", "--from", "out/run.h5", "-o", "out/run.h5", "--quiet"});
  EXPECT_EQ(over_itself.exit_code, 2);
  EXPECT_TRUE(contains(over_itself.err, "is the file being re-run")) << over_itself.err;
  const Outcome both = tipsim({"run", "tiny.toml", "--from", "out/run.h5"});
  EXPECT_EQ(both.exit_code, 2);
}

// A run that keeps checkpoints, continued from one with no change: the
// fork's file is the parent's, series, summaries, events and snapshots, bit
// for bit, and names its parent; with a lever changed, the steps before the
// fork are the parent's and those after differ.
TEST_F(CliTest, AForkWithNoChangeRepeatsItsParentAndAChangeActsFromTheFork) {
  write("tiny.toml", kTinyScenario);
  const Outcome parent =
      tipsim({"run", "tiny.toml", "--replicates", "2", "--steps", "30", "--events", "--snapshot-every", "4",
              "--checkpoint-every", "5", "--checkpoint-at", "12", "-o", "out/parent.h5", "--quiet"});
  ASSERT_EQ(parent.exit_code, 0) << parent.err;
  const auto kept = output::read_checkpoint_steps((folder_ / "out/parent.h5").string());
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept.at(1), (std::vector<std::int32_t>{5, 10, 12, 15, 20, 25}));

  const Outcome fork =
      tipsim({"run", "--fork", "out/parent.h5", "--at", "12", "-o", "out/fork.h5", "--quiet"});
  ASSERT_EQ(fork.exit_code, 0) << fork.err;
  const output::RunFileContents a = output::read_run_file((folder_ / "out/parent.h5").string());
  const output::RunFileContents b = output::read_run_file((folder_ / "out/fork.h5").string());
  expect_same_contents(a, b);
  const output::EventTable events_a = output::read_event_table((folder_ / "out/parent.h5").string());
  const output::EventTable events_b = output::read_event_table((folder_ / "out/fork.h5").string());
  EXPECT_GT(events_a.size(), 0u);
  EXPECT_TRUE(events_a.columns == events_b.columns);
  output::RunFileReader snapshots_a((folder_ / "out/parent.h5").string()),
      snapshots_b((folder_ / "out/fork.h5").string());
  ASSERT_EQ(snapshots_a.snapshot_steps(), snapshots_b.snapshot_steps());
  for (std::size_t r = 0; r < 2; ++r)
    for (std::size_t k = 0; k < snapshots_a.snapshot_steps().size(); ++k)
      EXPECT_TRUE(snapshots_a.read_snapshot(0, r, k) == snapshots_b.read_snapshot(0, r, k)) << r << " " << k;
  EXPECT_EQ(b.text("forked_from"), "out/parent.h5");
  EXPECT_EQ(b.text("forked_from_created"), a.text("created"));
  EXPECT_EQ(b.number("forked_at_step"), 12);
  EXPECT_TRUE(std::isnan(a.number("forked_at_step")));

  const Outcome changed =
      tipsim({"run", "--fork", "out/parent.h5", "--at", "12", "--set",
              "policy.prosecution.investigators_per_100k=60", "-o", "out/changed.h5", "--quiet"});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  const output::RunFileContents c = output::read_run_file((folder_ / "out/changed.h5").string());
  const output::Variable* before = a.find_series("investigations");
  const output::Variable* after = c.find_series("investigations");
  ASSERT_TRUE(before != nullptr && after != nullptr);
  // (point, replicate, step, region[, category]): a step's block of values.
  std::size_t block = 1;
  for (std::size_t d = 3; d < before->shape.size(); ++d) block *= before->shape[d];
  auto steps_equal = [&](std::size_t from, std::size_t to) {
    for (std::size_t r = 0; r < 2; ++r) {
      const std::size_t first = (r * 30 + from) * block, last = (r * 30 + to) * block;
      if (!std::equal(before->values.begin() + first, before->values.begin() + last,
                      after->values.begin() + first))
        return false;
    }
    return true;
  };
  EXPECT_TRUE(steps_equal(0, 12));
  EXPECT_FALSE(steps_equal(12, 30));
}

// --intervention FILE adds [[intervention]] tables to a run: the same run
// as a scenario that holds them; with --fork they act from the fork on,
// never in its past; a file with a mistake is located like a scenario.
TEST_F(CliTest, InterventionFilesAddToARunOrAFork) {
  write("tiny.toml", kTinyScenario);
  const std::string surge = R"([[intervention]]
name = "surge"
start_step = 15
region = "Destination"
[intervention.scale]
policy.prosecution.investigators_per_100k = 40
)";
  write("surge.toml", surge);
  write("with-surge.toml", std::string(kTinyScenario) + "\n" + surge);
  ASSERT_EQ(tipsim({"run", "tiny.toml", "--steps", "30", "--intervention", "surge.toml", "-o", "out/a.h5",
                    "--quiet"})
                .exit_code,
            0);
  ASSERT_EQ(tipsim({"run", "with-surge.toml", "--steps", "30", "-o", "out/b.h5", "--quiet"}).exit_code, 0);
  ASSERT_EQ(tipsim({"run", "tiny.toml", "--steps", "30", "-o", "out/none.h5", "--quiet"}).exit_code, 0);
  // The same series, whatever file the interventions came from.
  auto same_series = [](const output::RunFileContents& x, const output::RunFileContents& y) {
    if (x.series.size() != y.series.size()) return false;
    for (std::size_t i = 0; i < x.series.size(); ++i)
      if (x.series[i].values != y.series[i].values) return false;
    return true;
  };
  const auto a = output::read_run_file((folder_ / "out/a.h5").string());
  EXPECT_TRUE(same_series(a, output::read_run_file((folder_ / "out/b.h5").string())));
  ASSERT_EQ(a.interventions.size(), 1u);
  const auto none = output::read_run_file((folder_ / "out/none.h5").string());
  const output::Variable* with = a.find_series("spending");
  const output::Variable* without = none.find_series("spending");
  ASSERT_TRUE(with != nullptr && without != nullptr);
  EXPECT_NE(with->values, without->values);

  // A fork: from its step on.
  ASSERT_EQ(
      tipsim({"run", "tiny.toml", "--steps", "30", "--checkpoint-at", "15", "-o", "out/parent.h5", "--quiet"})
          .exit_code,
      0);
  const Outcome fork = tipsim({"run", "--fork", "out/parent.h5", "--at", "15", "--intervention", "surge.toml",
                               "-o", "out/fork.h5", "--quiet"});
  ASSERT_EQ(fork.exit_code, 0) << fork.err;
  EXPECT_TRUE(same_series(a, output::read_run_file((folder_ / "out/fork.h5").string())));
  write("early.toml",
        "[[intervention]]\nstart_step = 5\n[intervention.set]\npolicy.protection.hotline = 0.9\n");
  Outcome refused = tipsim({"run", "--fork", "out/parent.h5", "--at", "15", "--intervention", "early.toml",
                            "-o", "out/early.h5", "--quiet"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(contains(refused.err, "starts at step 5, before the fork's step 15")) << refused.err;
  EXPECT_FALSE(fs::exists(folder_ / "out/early.h5"));

  write("bad.toml",
        "[[intervention]]\nstart_step = 5\nregion = \"Destinaton\"\n[intervention.set]\n"
        "policy.protection.hotline = 0.9\n[scenario]\nname = \"x\"\n");
  refused = tipsim({"run", "tiny.toml", "--intervention", "bad.toml", "-o", "out/bad.h5", "--quiet"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(contains(refused.err,
                       "bad.toml:3:10: key 'intervention.region' = \"Destinaton\": no region named "
                       "'Destinaton'; did you mean 'Destination'"))
      << refused.err;
  EXPECT_TRUE(contains(refused.err, "bad.toml:6:2: key 'scenario'")) << refused.err;
  EXPECT_FALSE(fs::exists(folder_ / "out/bad.h5"));
  EXPECT_EQ(tipsim({"run", "tiny.toml", "--intervention", "missing.toml", "--quiet"}).exit_code, 2);
}

// What a fork refuses, with exit code 2 and no file: a step without a
// checkpoint (naming the nearest), a change to what made the past, a file
// without checkpoints or of a sweep, checkpoints outside the run, and
// --fork without --at.
TEST_F(CliTest, AForkIsRefusedWithoutItsCheckpointOrWithAChangedPast) {
  write("tiny.toml", kTinyScenario);
  ASSERT_EQ(tipsim({"run", "tiny.toml", "--steps", "30", "--checkpoint-every", "10", "-o", "out/parent.h5",
                    "--quiet"})
                .exit_code,
            0);
  ASSERT_EQ(tipsim({"run", "tiny.toml", "--steps", "30", "-o", "out/plain.h5", "--quiet"}).exit_code, 0);
  ASSERT_EQ(tipsim({"sweep", "tiny.toml", "--steps", "30", "--vary", "policy.protection.hotline=0.2,0.8",
                    "-o", "out/sweep.h5", "--quiet"})
                .exit_code,
            0);
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"run", "--fork", "out/parent.h5", "--at", "14"},
       "out/parent.h5 has no checkpoint at step 14; the nearest are at 10 and 20"},
      {{"run", "--fork", "out/parent.h5", "--at", "25"}, "the nearest are at 20 (--at STEP; 2 checkpoints"},
      {{"run", "--fork", "out/parent.h5", "--at", "10", "--set", "population.size=1000"},
       "population.size = 3000 in the run, 1000 in the fork"},
      {{"run", "--fork", "out/parent.h5", "--at", "10", "--seed", "5"}, "scenario.seed"},
      {{"run", "--fork", "out/parent.h5", "--at", "10", "--replicates", "9"},
       "has no checkpoint of replicate "},
      {{"run", "--fork", "out/parent.h5", "--at", "10", "--events"},
       "a fork records what out/parent.h5 recorded"},
      {{"run", "--fork", "out/parent.h5", "--at", "10", "--checkpoint-at", "5"},
       "--checkpoint-at 5: a checkpoint keeps the state after a number of steps from 11 to 29"},
      {{"run", "--fork", "out/plain.h5", "--at", "10"}, "out/plain.h5 keeps no checkpoints"},
      {{"run", "--fork", "out/sweep.h5", "--at", "10"}, "not of a sweep or comparison"},
      {{"run", "--fork", "out/parent.h5"}, "--fork FILE.h5 and --at STEP go together"},
      {{"run", "tiny.toml", "--checkpoint-at", "20"}, "--checkpoint-at 20: a checkpoint keeps the state"},
      {{"run", "tiny.toml", "--checkpoint-at", "0"}, "from 1 to 19, of 20"},
  };
  for (auto [args, expected] : refused) {
    args.insert(args.end(), {"-o", "out/refused.h5"});
    SCOPED_TRACE(args[2] + " " + expected);
    const Outcome outcome = tipsim(args);
    EXPECT_EQ(outcome.exit_code, 2) << outcome.err;
    EXPECT_TRUE(contains(outcome.err, expected)) << outcome.err;
    EXPECT_FALSE(fs::exists(folder_ / "out/refused.h5"));
  }
}

TEST_F(CliTest, InspectShowsWhatTheFileHolds) {
  write("tiny.toml", kTinyScenario);
  ASSERT_EQ(
      tipsim({"run", "tiny.toml", "--replicates", "2", "--events", "-o", "out/run.h5", "--quiet"}).exit_code,
      0);
  const Outcome outcome = tipsim({"inspect", "out/run.h5"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  for (const char* expected :
       {"out/run.h5: tipsim run file, format version 4; a run of 1 point x 2 replicates", "cli test",
        "command line", "--events", "seed          7", "Origin, Destination",
        "point 1 replicate 2 step 20 region 2", "events (events/)", "persons_by_state", "convictions",
        "cases", "victims identified", "point 0"})
    EXPECT_TRUE(contains(outcome.out, expected)) << "expected: " << expected << "\n" << outcome.out;
  EXPECT_TRUE(outcome.err.empty()) << outcome.err;
}

TEST_F(CliTest, InspectAndFromRefuseForeignAndNewerFiles) {
  write("tiny.toml", kTinyScenario);
  ASSERT_EQ(tipsim({"run", "tiny.toml", "-o", "good.h5", "--quiet"}).exit_code, 0);
  write("notes.h5", "not a run file\n");
  fs::copy_file(folder_ / "good.h5", folder_ / "newer.h5");
  {
    const hid_t file = H5Fopen((folder_ / "newer.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t attribute = H5Aopen(file, "format_version", H5P_DEFAULT);
    const std::int64_t version = output::kFormatVersion + 1;
    H5Awrite(attribute, H5T_NATIVE_INT64, &version);
    H5Aclose(attribute);
    H5Fclose(file);
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"notes.h5", "tipsim: error: notes.h5: not a tipsim run file (not an HDF5 file)"},
      {"newer.h5", "tipsim: error: newer.h5: tipsim run file format version " +
                       std::to_string(output::kFormatVersion + 1) + " cannot be read"},
      {"missing.h5", "tipsim: error: missing.h5: cannot open"},
  };
  for (const auto& [name, message] : cases) {
    SCOPED_TRACE(name);
    const Outcome inspect = tipsim({"inspect", name});
    EXPECT_EQ(inspect.exit_code, 2) << inspect.err;
    EXPECT_TRUE(contains(inspect.err, message)) << inspect.err;
    EXPECT_TRUE(inspect.out.empty()) << inspect.out;
    const Outcome rerun = tipsim({"run", "--from", name, "-o", "out/rerun.h5", "--quiet"});
    EXPECT_EQ(rerun.exit_code, 2) << rerun.err;
    EXPECT_TRUE(contains(rerun.err, message)) << rerun.err;
    EXPECT_TRUE(files_in("out").empty());
  }
  EXPECT_TRUE(contains(tipsim({"inspect", "newer.h5"}).err, "use a newer tipsim"));
}

// ---- events and snapshots: bounded -----------------------------------------------------------

TEST_F(CliTest, TheRecordingEstimateIsPrintedAndTheLimitRefusesARunBeforeItStarts) {
  write("tiny.toml", kTinyScenario);
  const Outcome fits = tipsim({"run", "tiny.toml", "--events", "--snapshot-every", "4", "-o", "out/fits.h5"});
  ASSERT_EQ(fits.exit_code, 0) << fits.err;
  EXPECT_TRUE(contains(fits.err, "tipsim: estimated size of the event log and snapshots:")) << fits.err;
  EXPECT_TRUE(contains(fits.err, "5 snapshots of 3,000 persons per run")) << fits.err;

  // 20 snapshots of 3000 persons x 22 bytes is 1.3 MB per run.
  const Outcome refused = tipsim(
      {"run", "tiny.toml", "--snapshot-every", "1", "--max-output", "1M", "-o", "out/refused.h5", "--quiet"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_TRUE(contains(refused.err, "tipsim: error: the event log and snapshots would take about"))
      << refused.err;
  EXPECT_TRUE(contains(refused.err, "more than --max-output 1.0 MiB")) << refused.err;
  EXPECT_TRUE(refused.out.empty());
  const Outcome nonsense = tipsim({"run", "tiny.toml", "--events", "--max-output", "lots", "-o", "out/x.h5"});
  EXPECT_EQ(nonsense.exit_code, 2);
  EXPECT_TRUE(contains(nonsense.err, "--max-output lots: not a size")) << nonsense.err;
  EXPECT_EQ(files_in("out"), std::vector<std::string>{"fits.h5"});
}

// Snapshots are of every person; with strata the untouched are counts, so
// the run is refused with the way out, and leaves no file.
TEST_F(CliTest, SnapshotsOfAWorldWithStrataAreRefused) {
  write("tiny.toml", kTinyScenario);
  const Outcome refused = tipsim({"run", "tiny.toml", "--snapshot-every", "4", "--set",
                                  "population.untouched_in_strata=true", "-o", "out/refused.h5", "--quiet"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_TRUE(contains(refused.err, "--snapshot-every records every person")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "--set population.untouched_in_strata=false")) << refused.err;
  EXPECT_TRUE(files_in("out").empty());
  const Outcome events = tipsim({"run", "tiny.toml", "--events", "--set",
                                 "population.untouched_in_strata=true", "-o", "out/events.h5", "--quiet"});
  EXPECT_EQ(events.exit_code, 0) << events.err;
}

TEST(CliSizes, SizesAreReadInPowersOf1024) {
  EXPECT_EQ(cli::parse_size("4G"), 4.0 * (1ull << 30));
  EXPECT_EQ(cli::parse_size("1.5GiB"), 1.5 * (1ull << 30));
  EXPECT_EQ(cli::parse_size("500m"), 500.0 * (1 << 20));
  EXPECT_EQ(cli::parse_size("123456"), 123456.0);
  EXPECT_EQ(cli::parse_size("0"), 0.0);
  EXPECT_FALSE(cli::parse_size("lots"));
  EXPECT_FALSE(cli::parse_size("-1G"));
  EXPECT_FALSE(cli::parse_size("4Q"));
}

}  // namespace
}  // namespace tipsim

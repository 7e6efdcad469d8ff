// Limits (docs/reliability.md): extreme but valid scenarios run end to end
// through `tipsim run` and give valid run files; a run too large for the
// machine is refused before it starts, with the estimate.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "metrics.hpp"
#include "params.hpp"
#include "process_helpers.hpp"
#include "run_file.hpp"

namespace tipsim {
namespace {

using namespace tipsim::testing;

// Two regions, a route, a short run: each case changes it with --set.
constexpr const char* kBase = R"(
[scenario]
name = "limits"
steps = 12
seed = 5
replicates = 2
[population]
size = 2000
[[region]]
name = "Origin"
population.share = 0.7
[[region]]
name = "Destination"
population.share = 0.3
[[route]]
from = "Origin"
to = "Destination"
share = 0.5
)";

struct Case {
  std::string what;
  std::string scenario;  // the scenario text (kBase unless given)
  std::vector<std::string> args;
  std::size_t steps = 12, replicates = 2, regions = 2;
};

// Runs one case and checks that the file it writes is a valid run: it reads
// back with the right dimensions, every count is a whole number >= 0 and
// every figure is finite.
void run_and_check(const Case& c) {
  SCOPED_TRACE(c.what);
  ScratchFolder folder("tipsim-limits");
  folder.write("scenario.toml", c.scenario.empty() ? kBase : c.scenario);
  std::vector<std::string> args = {"run", "scenario.toml", "-o", "out/run.h5", "--quiet", "--threads", "2"};
  args.insert(args.end(), c.args.begin(), c.args.end());
  const Outcome outcome = run_tipsim(folder.path(), args);
  ASSERT_EQ(outcome.shell_status(), 0) << outcome.err;
  EXPECT_FALSE(contains(outcome.err, "tipsim: error")) << outcome.err;
  EXPECT_TRUE(contains(outcome.out, "out/run.h5")) << outcome.out;
  EXPECT_EQ(folder.entries("out"), std::vector<std::string>{"run.h5"});
  output::RunFileContents contents;
  try {
    contents = output::read_run_file((folder / "out/run.h5").string());
  } catch (const std::exception& e) {
    FAIL() << "the run file does not read back: " << e.what();
  }
  EXPECT_EQ(contents.dimension("step"), c.steps);
  EXPECT_EQ(contents.dimension("replicate"), c.replicates);
  EXPECT_EQ(contents.dimension("region"), c.regions);
  EXPECT_EQ(contents.series.size(), metric_table().size());
  for (const output::Variable& v : contents.series) {
    std::size_t expected = 1;
    for (std::size_t d : v.shape) expected *= d;
    ASSERT_EQ(v.values.size(), expected) << v.name;
    for (double x : v.values) {
      ASSERT_TRUE(std::isfinite(x)) << v.name << " has " << x;
      if (v.integer) {
        ASSERT_GE(x, 0) << v.name;
        ASSERT_EQ(x, std::floor(x)) << v.name;
      }
    }
  }
  // Summaries are finite, or NaN where a figure is undefined for the run
  // (a share of nobody); never infinite.
  for (const output::Variable& v : contents.summary)
    for (double x : v.values) ASSERT_FALSE(std::isinf(x)) << v.name << " has " << x;
}

std::vector<std::string> set_all_probabilities(double value) {
  std::vector<std::string> args;
  for (const ParamSpec& s : param_table()) {
    if (s.kind != ParamKind::Real || s.min_value != 0 || s.max_value != 1) continue;
    args.push_back("--set");
    args.push_back(std::string(s.key) + "=" + (value == 0 ? "0" : "1"));
  }
  return args;
}

TEST(Limits, ZeroTraffickers) {
  run_and_check({"no traffickers at the start and none entering",
                 "",
                 {"--set", "traffickers.initial_per_100k=0", "--set", "traffickers.entry_per_100k=0"}});
}

TEST(Limits, ARegionWithZeroPopulationAmongOthers) {
  const std::string scenario = std::string(kBase) + R"(
[[region]]
name = "Empty"
population.share = 0
[[route]]
from = "Destination"
to = "Empty"
share = 1
[[route]]
from = "Empty"
to = "Origin"
share = 1
)";
  run_and_check({"a third region with population.share = 0, trafficked into and out of", scenario, {}, 12, 2, 3});
}

TEST(Limits, ProbabilitiesOfExactlyZeroAndOne) {
  run_and_check({"no escapes, every victim cooperates, investigations find every victim",
                 "",
                 {"--set", "exploitation.escape_per_year=0", "--set", "protection.cooperation_sheltered=1",
                  "--set", "protection.cooperation_unsheltered=1", "--set", "prosecution.victims_found_share=1"}});
  run_and_check({"every probability (a Real key from 0 to 1) at exactly 0", "", set_all_probabilities(0)});
  run_and_check({"every probability (a Real key from 0 to 1) at exactly 1", "", set_all_probabilities(1)});
}

TEST(Limits, OneStepOnePersonOneReplicate) {
  run_and_check({"one step", "", {"--steps", "1"}, 1});
  run_and_check({"one person", "", {"--set", "population.size=1"}});
  run_and_check({"one replicate on more threads than replicates", "", {"--replicates", "1", "--threads", "8"}, 12, 1});
  run_and_check({"all at once", "", {"--steps", "1", "--replicates", "1", "--set", "population.size=1"}, 1, 1});
}

TEST(Limits, InterventionsAtTheEdgesOfTheRun) {
  const std::string scenario = std::string(kBase) + R"(
[[intervention]]
name = "from the first step, ramping for longer than the run"
start_step = 0
ramp_steps = 1000
region = "all"
[intervention.scale]
"policy.prosecution.investigators_per_100k" = 0
[[intervention]]
name = "only the last step"
start_step = 11
end_step = 12
region = "Destination"
[intervention.set]
"policy.protection.hotline" = 1
)";
  run_and_check({"interventions at the first and last step", scenario, {}});
}

// Over the machine's memory: refused at once with the estimate, exit 2,
// nothing written (not even the output folder's contents).
TEST(Limits, ARunTooLargeForMemoryIsRefusedWithTheEstimate) {
  ScratchFolder folder("tipsim-limits");
  folder.write("scenario.toml", kBase);
  const auto started = std::chrono::steady_clock::now();
  const Outcome outcome =
      run_tipsim(folder.path(), {"run", "scenario.toml", "-o", "out/run.h5", "--quiet", "--set",
                                 "population.size=4000000000", "--replicates", "16", "--threads", "16"});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(outcome.shell_status(), 2) << outcome.err;
  EXPECT_TRUE(contains(outcome.err, "tipsim: error: not enough memory: this run needs about")) << outcome.err;
  // The estimate and what is available, with units.
  EXPECT_TRUE(contains(outcome.err, "TiB") || contains(outcome.err, "PiB")) << outcome.err;
  EXPECT_TRUE(contains(outcome.err, "available")) << outcome.err;
  EXPECT_TRUE(contains(outcome.err, "per replicate x 16 replicates at once")) << outcome.err;
  EXPECT_TRUE(outcome.out.empty()) << outcome.out;
  EXPECT_TRUE(folder.entries("out").empty());
  // Refused before anything was allocated.
  EXPECT_LT(took, std::chrono::seconds(30));
}

}  // namespace
}  // namespace tipsim

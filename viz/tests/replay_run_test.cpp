#include "replay_run.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "experiment.hpp"
#include "metrics.hpp"
#include "run_file.hpp"
#include "scenario_loader.hpp"
#include "simulation.hpp"
#include "test_paths.hpp"

namespace tipsim::viz {
namespace {

namespace fs = std::filesystem;

class ReplayRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char folder_template[] = "/tmp/tipsim_viz_replay_XXXXXX";
    ASSERT_NE(mkdtemp(folder_template), nullptr);
    folder_ = folder_template;
  }
  void TearDown() override { fs::remove_all(folder_); }

  // tiny.toml cut to 30 steps, three replicates, written as the CLI would.
  std::string write_tiny_run(Scenario& scenario, const std::string& scale = "1") {
    scenario =
        load_scenario_file(std::string(test_paths::source_dir) + "/scenarios/tiny.toml",
                           {"scenario.steps=30", "scenario.replicates=3", "population.scale=" + scale});
    const std::string path = (folder_ / "tiny.h5").string();
    output::RunFileInfo info;
    info.command_line = "test";
    info.points = {scenario};
    info.replicates = 3;
    output::RunFileWriter writer(path, info);
    ExperimentOptions options;
    options.replicates = 3;
    run_experiment(info.points, options, writer);
    writer.commit();
    return path;
  }

  fs::path folder_;
};

TEST(Quantile, InterpolatesBetweenOrderStatistics) {
  EXPECT_DOUBLE_EQ(quantile({3, 1, 2}, 0.5), 2);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({0, 10}, 0.1), 1);
  EXPECT_DOUBLE_EQ(quantile({0, 10}, 0.9), 9);
  EXPECT_DOUBLE_EQ(quantile({5}, 0.9), 5);
  EXPECT_TRUE(std::isnan(quantile({}, 0.5)));
}

TEST(Quantile, BandsAreOrderedStepByStep) {
  const std::vector<std::vector<double>> runs = {{1, 5, 9}, {2, 4, 9}, {3, 6, 0}, {4, 5, 1}};
  const Band b = quantile_band(runs);
  ASSERT_EQ(b.median.size(), 3u);
  for (std::size_t s = 0; s < 3; ++s) {
    EXPECT_LE(b.low[s], b.median[s]);
    EXPECT_LE(b.median[s], b.high[s]);
  }
  EXPECT_DOUBLE_EQ(b.median[0], 2.5);
  EXPECT_DOUBLE_EQ(b.median[1], 5);
}

TEST_F(ReplayRunTest, ReadsEveryReplicateAsTheModelReportedIt) {
  Scenario scenario;
  const std::string path = write_tiny_run(scenario);
  const ReplayRun run(path);
  EXPECT_EQ(run.points(), 1u);
  EXPECT_EQ(run.replicates(), 3u);
  EXPECT_EQ(run.steps(), 30);
  EXPECT_EQ(run.regions(), 2u);
  EXPECT_EQ(run.step_days(), 7);
  EXPECT_TRUE(run.missing_metrics().empty());
  EXPECT_EQ(run.scenario(0).name, "tiny");
  ASSERT_EQ(run.scenario(0).routes.size(), 1u);

  for (std::uint32_t r = 0; r < 3; ++r) {
    Simulation sim(scenario, r);
    sim.run_to_end();
    EXPECT_EQ(run.series(0, r).data(), sim.series().data()) << "replicate " << r;
  }
}

TEST_F(ReplayRunTest, ShowsRealPeopleAndRealMoney) {
  // At 10 people per agent the viewer's counts are ten times the model's;
  // money (already real USD) and scores are as the model reported them.
  Scenario scenario;
  const std::string path = write_tiny_run(scenario, "10");
  const ReplayRun run(path);
  Simulation sim(scenario, 1);
  sim.run_to_end();
  const Series& shown = run.series(0, 1);
  bool any_count = false;
  for (std::size_t s = 0; s < sim.series().steps(); ++s) {
    for (const MetricSpec& m : metric_table()) {
      for (std::size_t r = 0; r < 2; ++r) {
        for (std::size_t c = 0; c < axis_size(m.axis); ++c) {
          const double model = sim.series().at(s, m.id, r, c);
          const double expected = m.basis == Basis::Agents ? 10 * model : model;
          ASSERT_EQ(shown.at(s, m.id, r, c), expected) << m.name << " step " << s;
          any_count = any_count || (m.basis == Basis::Agents && model > 0);
        }
      }
    }
  }
  EXPECT_TRUE(any_count);
}

TEST_F(ReplayRunTest, BandsFramesAndFlowsAcrossReplicates) {
  Scenario scenario;
  const ReplayRun run(write_tiny_run(scenario));
  const Band b = run.indicator_band(0, Indicator::Exploited, -1);
  ASSERT_EQ(b.median.size(), 30u);
  for (std::size_t s = 0; s < 30; ++s) {
    EXPECT_LE(b.low[s], b.median[s]);
    EXPECT_LE(b.median[s], b.high[s]);
    EXPECT_GT(b.median[s], 0);
  }
  // The median frame holds, value by value, the middle replicate's value.
  const auto median = run.frame(0, -1, 29);
  const FrameLayout& layout = run.series(0, 0).layout();
  const std::size_t i = layout.index(Metric::exploited_by_form, 1, 0);
  std::vector<double> values;
  for (std::size_t r = 0; r < 3; ++r) values.push_back(run.series(0, r).frame(29)[i]);
  EXPECT_EQ(median[i], quantile(values, 0.5));
  EXPECT_EQ(run.frame(0, 2, 29)[i], values[2]);
  // Flows go only along the scenario's one route, Home -> Away.
  const RouteFlows f = run.route_flows(0, -1, 29);
  EXPECT_EQ(f.total(1, 0), 0);
  EXPECT_GE(f.total(0, 1), 0);
}

TEST_F(ReplayRunTest, RefusesFilesThatAreNotRuns) {
  const fs::path text = folder_ / "notes.h5";
  std::ofstream(text) << "not a run file\n";
  EXPECT_THROW(ReplayRun{text.string()}, output::FormatError);
  EXPECT_THROW(ReplayRun{(folder_ / "missing.h5").string()}, output::OutputError);
}

}  // namespace
}  // namespace tipsim::viz

// Branches of a recorded run: continuing one with no change gives the
// recorded steps bit for bit, from a checkpoint or from the start; a lever
// moved at the branch point changes only what follows; a file the model no
// longer reproduces is refused rather than continued wrongly.
#include "branch.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "live_session.hpp"
#include "replay_run.hpp"
#include "run_file.hpp"
#include "scenario_loader.hpp"
#include "test_paths.hpp"

namespace tipsim::viz {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kBranchWorld = std::string(test_paths::source_dir) + "/scenarios/tiny.toml";

class BranchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char folder_template[] = "/tmp/tipsim_viz_branch_XXXXXX";
    ASSERT_NE(mkdtemp(folder_template), nullptr);
    folder_ = folder_template;
  }
  void TearDown() override { fs::remove_all(folder_); }

  // A run file of `replicates` replicates keeping checkpoints at `steps`.
  std::string write_run(const Scenario& scenario, std::size_t replicates, std::vector<std::int32_t> steps,
                        const std::string& name) {
    const std::string path = (folder_ / name).string();
    output::RunFileInfo info;
    info.points = {scenario};
    info.replicates = replicates;
    info.checkpoint_steps = steps;
    output::RunFileWriter writer(path, info);
    ExperimentOptions options;
    options.replicates = replicates;
    options.threads = 1;
    options.checkpoint_steps = steps;
    run_experiment({scenario}, options, writer);
    writer.commit();
    return path;
  }

  // Every frame of the live session after it ran to the end.
  static LiveView run_to_end(LiveSession& session, std::int32_t steps) {
    session.advance(steps);
    EXPECT_TRUE(session.wait_for([&](const LiveStatus& s) { return !s.building && s.finished; }, 120s));
    LiveView view;
    session.poll(view);
    return view;
  }

  fs::path folder_;
};

bool frames_equal_over(const Series& a, const Series& b, std::size_t from, std::size_t to) {
  for (std::size_t t = from; t < to; ++t)
    if (!std::equal(a.frame(t).begin(), a.frame(t).end(), b.frame(t).begin())) return false;
  return true;
}

TEST_F(BranchTest, StartsFromTheLatestCheckpointAndSimulatesTheStepsBetween) {
  const Scenario scenario = load_scenario_file(kBranchWorld);
  const std::string path = write_run(scenario, 2, {20, 40, 60}, "run.h5");
  const Branch branch = build_branch({path, 0, 1, 50}, scenario);
  EXPECT_EQ(branch.checkpoint, 40);
  EXPECT_EQ(branch.simulation->steps_done(), 50);
  EXPECT_FALSE(branch.parent_created.empty());
  // Its series holds the whole past: the file's rows before the checkpoint
  // and the steps simulated again after it.
  Simulation headless(scenario, 1);
  for (int i = 0; i < 50; ++i) headless.step();
  EXPECT_TRUE(frames_equal_over(branch.simulation->series(), headless.series(), 0, 50));
  EXPECT_EQ(build_branch({path, 0, 1, 19}, scenario).checkpoint, 0);
  EXPECT_EQ(build_branch({path, 0, 1, 20}, scenario).checkpoint, 20);
  EXPECT_THROW(build_branch({path, 0, 1, 0}, scenario), std::invalid_argument);
  EXPECT_THROW(build_branch({path, 0, 1, scenario.steps()}, scenario), std::invalid_argument);
}

TEST_F(BranchTest, ABranchWithNoChangeContinuesTheRecordedRunBitForBit) {
  const Scenario scenario = load_scenario_file(kBranchWorld);
  for (const std::vector<std::int32_t>& checkpoints :
       {std::vector<std::int32_t>{30}, std::vector<std::int32_t>{}}) {
    SCOPED_TRACE(checkpoints.empty() ? "without checkpoints" : "from a checkpoint");
    const std::string path =
        write_run(scenario, 2, checkpoints, checkpoints.empty() ? "plain.h5" : "kept.h5");
    const ReplayRun recorded(path);
    LiveSession session(recorded.scenario(0), "test", BranchPoint{path, 0, 1, 37});
    const LiveView view = run_to_end(session, scenario.steps());
    ASSERT_EQ(view.frames, scenario.steps()) << view.status.message;
    EXPECT_EQ(view.status.branch_step, 37);
    // Both in real people: the viewer's units.
    EXPECT_TRUE(frames_equal_over(view.history, recorded.series(0, 1), 0,
                                  static_cast<std::size_t>(scenario.steps())));
  }
}

TEST_F(BranchTest, ALeverMovedAtTheBranchChangesOnlyWhatFollowsAndTheSavedBranchNamesItsParent) {
  const Scenario scenario = load_scenario_file(kBranchWorld);
  const std::string path = write_run(scenario, 1, {26}, "run.h5");
  const ReplayRun recorded(path);
  LiveSession session(recorded.scenario(0), "test", BranchPoint{path, 0, 0, 26});
  session.set_lever(-1, Param::policy_prosecution_investigators_per_100k, 6);
  const LiveView view = run_to_end(session, scenario.steps());
  ASSERT_EQ(view.frames, scenario.steps()) << view.status.message;
  EXPECT_TRUE(frames_equal_over(view.history, recorded.series(0, 0), 0, 26));
  EXPECT_FALSE(
      frames_equal_over(view.history, recorded.series(0, 0), 26, static_cast<std::size_t>(scenario.steps())));
  ASSERT_EQ(view.status.recorded.size(), 1u);
  EXPECT_EQ(view.status.recorded[0].start_step, 26);

  const std::string saved = (folder_ / "branch.h5").string();
  session.save(saved);
  ASSERT_TRUE(session.wait_for([](const LiveStatus& s) { return s.message_serial > 0; }, 60s));
  LiveView after;
  session.poll(after);
  ASSERT_FALSE(after.status.message_is_error) << after.status.message;
  const output::RunFileContents file = output::read_run_file(saved);
  EXPECT_EQ(file.text("forked_from"), path);
  EXPECT_EQ(file.number("forked_at_step"), 26);
  // The saved branch replays what the session showed, and its scenario
  // (the recorded run's and the lever change) runs to the same series.
  const ReplayRun replay(saved);
  EXPECT_TRUE(
      frames_equal_over(replay.series(0, 0), view.history, 0, static_cast<std::size_t>(scenario.steps())));
  const Scenario again = load_scenario_text(file.resolved_toml, "resolved");
  Simulation rerun(again, 0);
  rerun.run_to_end();
  const Series recorded_rows =
      output::read_run_rows(file, saved, rerun.series().layout(), static_cast<std::size_t>(again.steps()), 0,
                            0, static_cast<std::size_t>(again.steps()));
  EXPECT_EQ(rerun.series().data(), recorded_rows.data());
}

TEST_F(BranchTest, AFileTheModelNoLongerReproducesIsRefused) {
  const Scenario scenario = load_scenario_file(kBranchWorld);
  const std::string path = write_run(scenario, 1, {}, "run.h5");
  // Another model: the same file read with other parameters, as a file of
  // another version of the model would be.
  const Scenario other = load_scenario_file(kBranchWorld, {"policy.prosecution.investigators_per_100k=9"});
  try {
    build_branch({path, 0, 0, 30}, other);
    FAIL() << "a branch that does not reproduce the recorded steps was built";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("another version of the model"), std::string::npos) << e.what();
  }
  // The session reports it as its message rather than failing.
  LiveSession session(other, "test", BranchPoint{path, 0, 0, 30});
  ASSERT_TRUE(session.wait_for([](const LiveStatus& s) { return s.message_serial > 0; }, 60s));
  LiveView view;
  session.poll(view);
  EXPECT_TRUE(view.status.message_is_error);
  EXPECT_NE(view.status.message.find("cannot branch"), std::string::npos) << view.status.message;
}

}  // namespace
}  // namespace tipsim::viz

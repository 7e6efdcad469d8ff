// The live session as the interface drives it: steps on the worker thread,
// lever changes recorded as interventions, and the saved session replaying
// exactly as a headless run.
#include "live_session.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "run_file.hpp"
#include "scenario_loader.hpp"
#include "simulation.hpp"
#include "test_paths.hpp"

namespace tipsim::viz {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kTiny = std::string(test_paths::source_dir) + "/scenarios/tiny.toml";

bool wait_steps(LiveSession& session, std::int32_t steps) {
  return session.wait_for([&](const LiveStatus& s) { return !s.building && s.steps_done >= steps; }, 60s);
}

class LiveSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char folder_template[] = "/tmp/tipsim_viz_live_XXXXXX";
    ASSERT_NE(mkdtemp(folder_template), nullptr);
    folder_ = folder_template;
  }
  void TearDown() override { fs::remove_all(folder_); }
  fs::path folder_;
};

TEST_F(LiveSessionTest, StepsOnTheWorkerAndPublishesEveryFrame) {
  const Scenario scenario = load_scenario_file(kTiny);
  LiveSession session(scenario, "test");
  session.advance(30);
  ASSERT_TRUE(wait_steps(session, 30));
  LiveView view;
  session.poll(view);
  EXPECT_EQ(view.frames, 30);
  EXPECT_EQ(view.status.steps_done, 30);
  EXPECT_EQ(view.status.steps_total, 104);
  EXPECT_EQ(view.status.levers.size(), 2u);
  EXPECT_GT(view.status.flows.total(0, 1), 0);

  Simulation headless(scenario, 0);
  for (int i = 0; i < 30; ++i) headless.step();
  for (std::size_t s = 0; s < 30; ++s) {
    const std::span<const double> a = view.history.frame(s), b = headless.series().frame(s);
    ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin())) << "step " << s;
  }
  // A second poll brings nothing new and keeps what came.
  session.poll(view);
  EXPECT_EQ(view.frames, 30);
}

TEST_F(LiveSessionTest, PlayAndPause) {
  // Paced at 100 steps a second over 5000 steps, so that the pause comes
  // long before the end of the run however late this thread gets to it.
  LiveSession session(load_scenario_file(kTiny, {"scenario.steps=5000"}), "test");
  session.set_speed(100);
  session.play();
  ASSERT_TRUE(wait_steps(session, 10));
  session.pause();
  ASSERT_TRUE(session.wait_for([](const LiveStatus& s) { return !s.playing; }, 60s));
  LiveView view;
  session.poll(view);
  const std::int32_t stopped_at = view.status.steps_done;
  ASSERT_LT(stopped_at, view.status.steps_total);

  // At full speed a session that steps takes a step each time it handles
  // a command; after two lever changes, handled one after the other, any
  // step it took unasked has been published. Each change moves another
  // lever than the last, so that each is recorded on its own.
  session.set_speed(0);
  std::size_t changes = 0;
  auto steps_after_two_commands = [&] {
    for (int i = 0; i < 2; ++i) {
      ++changes;
      if (changes % 2 == 1) {
        session.set_lever(-1, Param::policy_protection_shelter_beds_per_100k, 20);
      } else {
        session.set_lever(-1, Param::policy_prosecution_investigators_per_100k, 2);
      }
      EXPECT_TRUE(session.wait_for([&](const LiveStatus& s) { return s.recorded.size() == changes; }, 60s));
    }
    session.poll(view);
    return view.status.steps_done;
  };
  // Paused, it takes no step unasked; one step when asked, and no more.
  EXPECT_EQ(steps_after_two_commands(), stopped_at);
  session.step_once();
  ASSERT_TRUE(wait_steps(session, stopped_at + 1));
  EXPECT_EQ(steps_after_two_commands(), stopped_at + 1);
}

// The test: a slider change at the start replays to the same series
// as the equivalent --set run.
TEST_F(LiveSessionTest, ASliderAtTheStartEqualsTheSetRun) {
  LiveSession session(load_scenario_file(kTiny), "test");
  session.set_lever(-1, Param::policy_protection_shelter_beds_per_100k, 40);
  session.advance(104);
  ASSERT_TRUE(session.wait_for([](const LiveStatus& s) { return s.finished; }, 60s));
  LiveView view;
  session.poll(view);
  ASSERT_EQ(view.status.recorded.size(), 1u);
  EXPECT_EQ(view.status.recorded[0].start_step, 0);

  const Scenario with_set = load_scenario_file(kTiny, {"policy.protection.shelter_beds_per_100k=40"});
  Simulation headless(with_set, 0);
  headless.run_to_end();
  EXPECT_EQ(view.history.data(), headless.series().data());
  // And the change did something: more places than the scenario's 20 per 100 000.
  const Scenario plain = load_scenario_file(kTiny);
  Simulation baseline(plain, 0);
  baseline.run_to_end();
  EXPECT_GT(view.history.total(50, Metric::shelter_capacity),
            baseline.series().total(50, Metric::shelter_capacity));
}

// Lever changes in the middle of a session, saved as a run file, equal a
// headless run of the scenario with those changes as interventions, and
// the file's resolved scenario repeats it (tipsim run --from).
TEST_F(LiveSessionTest, ASavedSessionReplaysExactly) {
  const Scenario scenario = load_scenario_file(kTiny);
  LiveSession session(scenario, "tipsim-viewer scenarios/tiny.toml");
  session.advance(20);
  ASSERT_TRUE(wait_steps(session, 20));
  session.set_lever(1, Param::policy_protection_shelter_beds_per_100k, 50);
  session.set_lever(-1, Param::policy_prosecution_investigators_per_100k, 3);
  session.set_lever(-1, Param::policy_prosecution_investigators_per_100k,
                    2.5);  // moved again before the next step
  session.advance(25);
  ASSERT_TRUE(wait_steps(session, 45));
  session.set_lever(0, Param::policy_partnership_level, 0.9);
  session.set_lever(0, Param::policy_protection_non_punishment, 0);
  session.advance(15);
  ASSERT_TRUE(wait_steps(session, 60));

  const std::string path = (folder_ / "session.h5").string();
  session.save(path);
  ASSERT_TRUE(session.wait_for([](const LiveStatus& s) { return s.message_serial > 0; }, 60s));
  LiveView view;
  session.poll(view);
  ASSERT_FALSE(view.status.message_is_error) << view.status.message;
  EXPECT_EQ(view.status.recorded.size(), 4u);

  // The same changes written by hand as interventions.
  Scenario expected = scenario;
  expected.globals[Param::scenario_steps] = 60;
  auto add = [&](std::int64_t start, std::int32_t region, Param p, double v) {
    InterventionSpec iv;
    iv.name = "by hand";
    iv.start_step = start;
    iv.end_step = 60;
    iv.region = region;
    iv.changes.push_back({p, LeverOp::Set, v});
    expected.interventions.push_back(iv);
  };
  add(20, 1, Param::policy_protection_shelter_beds_per_100k, 50);
  add(20, -1, Param::policy_prosecution_investigators_per_100k, 2.5);
  add(45, 0, Param::policy_partnership_level, 0.9);
  add(45, 0, Param::policy_protection_non_punishment, 0);
  Simulation headless(expected, 0);
  headless.run_to_end();

  const output::RunFileContents file = output::read_run_file(path);
  EXPECT_EQ(file.dimension("step"), 60u);
  EXPECT_EQ(file.dimension("replicate"), 1u);
  EXPECT_EQ(file.interventions.size(), 4u);
  const FrameLayout& layout = headless.series().layout();
  for (const MetricSpec& m : metric_table()) {
    const output::Variable* v = file.find_series(m.name);
    ASSERT_NE(v, nullptr) << m.name;
    const std::size_t width = layout.width(m.id);
    for (std::size_t s = 0; s < 60; ++s)
      for (std::size_t i = 0; i < width; ++i)
        ASSERT_EQ(v->values[s * width + i], headless.series().frame(s)[layout.offset(m.id) + i])
            << m.name << " step " << s;
  }
  // The session's own frames are those of the file too.
  for (std::size_t s = 0; s < 60; ++s) {
    const std::span<const double> a = view.history.frame(s), b = headless.series().frame(s);
    ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin())) << "step " << s;
  }

  // The file's resolved scenario runs to the same series.
  const Scenario again = load_scenario_text(file.resolved_toml, "resolved");
  EXPECT_EQ(again.interventions.size(), 4u);
  Simulation rerun(again, 0);
  rerun.run_to_end();
  EXPECT_EQ(rerun.series().data(), headless.series().data());
}

TEST_F(LiveSessionTest, ResetStartsAgainWithANewSeedAndNoChanges) {
  const Scenario scenario = load_scenario_file(kTiny);
  LiveSession session(scenario, "test");
  session.set_lever(-1, Param::policy_prosecution_investigators_per_100k, 3);
  session.advance(10);
  ASSERT_TRUE(wait_steps(session, 10));
  LiveView view;
  session.poll(view);
  const std::uint64_t first_generation = view.generation;
  session.reset_with_new_seed();
  ASSERT_TRUE(session.wait_for(
      [&](const LiveStatus& s) { return s.generation > first_generation && !s.building; }, 60s));
  session.poll(view);
  EXPECT_EQ(view.frames, 0);
  EXPECT_EQ(view.status.steps_done, 0);
  EXPECT_EQ(view.status.seed, scenario.seed() + 1);
  EXPECT_TRUE(view.status.recorded.empty());

  session.advance(5);
  ASSERT_TRUE(wait_steps(session, 5));
  session.poll(view);
  Scenario reseeded = scenario;
  reseeded.globals[Param::scenario_seed] = static_cast<double>(scenario.seed() + 1);
  Simulation headless(reseeded, 0);
  for (int i = 0; i < 5; ++i) headless.step();
  for (std::size_t s = 0; s < 5; ++s) {
    const std::span<const double> a = view.history.frame(s), b = headless.series().frame(s);
    ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin())) << "step " << s;
  }
}

TEST_F(LiveSessionTest, SavingBeforeAnyStepSaysWhy) {
  LiveSession session(load_scenario_file(kTiny), "test");
  session.save((folder_ / "empty.h5").string());
  ASSERT_TRUE(session.wait_for([](const LiveStatus& s) { return s.message_serial > 0; }, 60s));
  LiveView view;
  session.poll(view);
  EXPECT_TRUE(view.status.message_is_error);
  EXPECT_NE(view.status.message.find("nothing to save"), std::string::npos);
  EXPECT_FALSE(fs::exists(folder_ / "empty.h5"));
}

TEST_F(LiveSessionTest, SaveFailuresAreMessagesNotCrashes) {
  LiveSession session(load_scenario_file(kTiny), "test");
  session.advance(3);
  ASSERT_TRUE(wait_steps(session, 3));
  // A folder cannot be created under a regular file.
  const fs::path blocker = folder_ / "file";
  std::ofstream(blocker) << "x";
  session.save((blocker / "run.h5").string());
  ASSERT_TRUE(session.wait_for([](const LiveStatus& s) { return s.message_serial > 0; }, 60s));
  LiveView view;
  session.poll(view);
  EXPECT_TRUE(view.status.message_is_error);
  EXPECT_NE(view.status.message.find("cannot save"), std::string::npos);
}

}  // namespace
}  // namespace tipsim::viz

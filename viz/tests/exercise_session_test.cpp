// An exercise played through without a window: the run stops exactly at
// each question, the room's choice acts from the decision's step, the
// prediction is scored from the run, and the debrief's untaken branch is
// the run that option would have given in the same world.
#include "exercise_session.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "intervention_recorder.hpp"
#include "run_file.hpp"
#include "scenario_loader.hpp"
#include "simulation.hpp"
#include "test_paths.hpp"

namespace tipsim::viz {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kExerciseText = R"([exercise]
title = "Test exercise"
briefing = "Two regions."
scenario = "tiny.toml"
debrief_replicates = 3

[[inject]]
step = 10
headline = "Shelters cut by half"
[inject.scale]
policy.protection.shelter_beds_per_100k = 0.5

[[decision]]
step = 20
question = "What now?"
[[decision.option]]
label = "Five times the investigators"
[decision.option.scale]
policy.prosecution.investigators_per_100k = 5
[[decision.option]]
label = "Nothing"

[[prediction]]
step = 52
question = "Prosecutions up or down?"
metric = "prosecutions"
horizon_steps = 26
)";

class ExerciseSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char folder_template[] = "/tmp/tipsim_viz_exercise_XXXXXX";
    ASSERT_NE(mkdtemp(folder_template), nullptr);
    folder_ = folder_template;
    fs::copy_file(std::string(test_paths::source_dir) + "/scenarios/tiny.toml", folder_ / "tiny.toml");
    std::ofstream(folder_ / "exercise.toml") << kExerciseText;
  }
  void TearDown() override { fs::remove_all(folder_); }

  // Plays at full speed from `from` steps until the run stops again; the
  // status then. `view` is the one copy of the session (poll() hands each
  // frame out once).
  static LiveStatus play_until_stopped(ExerciseSession& session, LiveView& view, std::int32_t from) {
    session.live().play();
    EXPECT_TRUE(session.live().wait_for(
        [&](const LiveStatus& s) { return !s.building && !s.playing && s.steps_done > from; }, 60s));
    session.live().poll(view);
    return view.status;
  }
  fs::path folder_;
};

TEST_F(ExerciseSessionTest, PlaysThroughInjectsADecisionAPredictionAndTheDebrief) {
  const Exercise exercise = load_exercise_file((folder_ / "exercise.toml").string());
  ExerciseSession session(exercise, "test");
  session.live().set_speed(0);

  // The run stops at the decision's step exactly, the inject's news shown.
  LiveView view;
  LiveStatus status = play_until_stopped(session, view, 0);
  EXPECT_EQ(status.steps_done, 20);
  ExercisePrompt prompt = session.prompt(status);
  ASSERT_EQ(prompt.kind, ExercisePrompt::Decision);
  EXPECT_EQ(prompt.index, 0u);
  ASSERT_EQ(session.news(status.steps_done).size(), 1u);
  EXPECT_EQ(session.news(status.steps_done)[0]->headline, "Shelters cut by half");
  EXPECT_TRUE(session.news(9).empty());
  // Playing on without an answer does not pass the question: the save,
  // handled after the steps asked for, finds the run still at the question.
  session.live().advance(5);
  session.live().play();
  session.live().save((folder_ / "at-the-question.h5").string());
  ASSERT_TRUE(session.live().wait_for([](const LiveStatus& s) { return s.message_serial > 0; }, 60s));
  session.live().poll(view);
  EXPECT_EQ(view.status.steps_done, 20);
  EXPECT_FALSE(view.status.playing);

  session.choose(0, 0);
  status = play_until_stopped(session, view, 20);
  EXPECT_EQ(status.steps_done, 52);
  prompt = session.prompt(status);
  ASSERT_EQ(prompt.kind, ExercisePrompt::Prediction);
  session.predict(0, Trend::Rise);
  EXPECT_EQ(session.next_stop(), -1);
  status = play_until_stopped(session, view, 52);
  ASSERT_TRUE(status.finished);
  EXPECT_EQ(session.prompt(status).kind, ExercisePrompt::None);

  ASSERT_EQ(view.frames, 104);
  session.start_debrief(view);
  session.wait_for_debrief();
  const auto debrief = session.debrief();
  ASSERT_NE(debrief, nullptr);
  ASSERT_TRUE(debrief->error.empty()) << debrief->error;
  EXPECT_EQ(debrief->replicates, 3u);
  // The branch taken, run again for the debrief, is the session bit for bit.
  EXPECT_TRUE(debrief->session_reproduced);

  // The untaken option by hand: tiny with the inject and no decision.
  Scenario untaken = exercise.scenario;
  untaken.globals[Param::scenario_replicates] = 1;
  Simulation by_hand(untaken, 0);
  by_hand.run_to_end();
  ASSERT_EQ(debrief->branches.size(), 2u);
  for (std::size_t t = 0; t < by_hand.series().steps(); ++t) {
    std::vector<double> frame(by_hand.series().frame(t).begin(), by_hand.series().frame(t).end());
    to_real_units(by_hand.series().layout(), frame, untaken.get(Param::population_scale));
    ASSERT_TRUE(std::equal(frame.begin(), frame.end(), debrief->branches[1].frame(t).begin()))
        << "step " << t;
  }
  ASSERT_EQ(debrief->effects.size(), 1u);
  const DecisionEffect& effect = debrief->effects[0];
  EXPECT_EQ(effect.decision, 0u);
  EXPECT_EQ(effect.untaken, 1u);
  // Its effect in the session's replicate: the taken run's figures less the untaken one's.
  const auto untaken_summary = summarize(by_hand.series(), untaken);
  const auto taken_summary =
      summarize(view.history, static_cast<std::size_t>(untaken.get_int(Param::scenario_burn_in_steps)),
                untaken.step_years(), 1.0, harm_weights(untaken));
  std::size_t identified = 0;
  for (; identified < summary_table().size() && summary_table()[identified].name != "identified";
       ++identified) {
  }
  std::size_t effect_row = 0;
  for (; effect_row < effect_table().size() && effect_table()[effect_row].name != "victims_identified";
       ++effect_row) {
  }
  ASSERT_LT(effect_row, effect.session_values.size());
  EXPECT_DOUBLE_EQ(effect.session_values[effect_row],
                   taken_summary[identified] - untaken_summary[identified]);
  EXPECT_EQ(effect.effects.paired[effect_row].size(), 3u);

  // The prediction, scored from the run the room watched.
  ASSERT_EQ(debrief->predictions.size(), 1u);
  const PredictionResult& p = debrief->predictions[0];
  EXPECT_TRUE(p.scored);
  EXPECT_EQ(p.answer, Trend::Rise);
  const PredictionOutcome expected = score_prediction(exercise.predictions[0], view.history, 1.0);
  EXPECT_EQ(p.outcome.trend, expected.trend);
  EXPECT_DOUBLE_EQ(p.outcome.before, expected.before);
  EXPECT_DOUBLE_EQ(p.outcome.after, expected.after);
  EXPECT_EQ(p.correct(), expected.trend == Trend::Rise);

  // Saved, the session names the inject and the decision and re-runs to
  // what the room saw.
  const std::string saved = (folder_ / "session.h5").string();
  const std::uint64_t serial = view.status.message_serial;
  session.live().save(saved);
  ASSERT_TRUE(session.live().wait_for([&](const LiveStatus& s) { return s.message_serial > serial; }, 60s));
  const output::RunFileContents file = output::read_run_file(saved);
  const Scenario again = load_scenario_text(file.resolved_toml, "resolved");
  std::vector<std::string> names;
  for (const InterventionSpec& iv : again.interventions) names.push_back(iv.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "inject 1: Shelters cut by half"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "decision 1, option 1: Five times the investigators"),
            names.end());
  Simulation rerun(again, 0);
  rerun.run_to_end();
  for (std::size_t t = 0; t < rerun.series().steps(); ++t) {
    std::vector<double> frame(rerun.series().frame(t).begin(), rerun.series().frame(t).end());
    to_real_units(rerun.series().layout(), frame, again.get(Param::population_scale));
    ASSERT_TRUE(std::equal(frame.begin(), frame.end(), view.history.frame(t).begin())) << "step " << t;
  }
}

}  // namespace
}  // namespace tipsim::viz

// Exercise files: the shipped exercises load; injects, decisions and
// predictions are read with their steps and changes; every kind of mistake
// is reported where it is, with the key, the value and what is allowed;
// predictions are scored from the run's own series.
#include "exercise.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "scenario_loader.hpp"
#include "test_paths.hpp"

namespace tipsim {
namespace {

namespace fs = std::filesystem;

const std::string kTinyPath = std::string(test_paths::source_dir) + "/scenarios/tiny.toml";

class ExerciseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char folder_template[] = "/tmp/tipsim_exercise_XXXXXX";
    ASSERT_NE(mkdtemp(folder_template), nullptr);
    folder_ = folder_template;
    fs::copy_file(kTinyPath, folder_ / "tiny.toml");
  }
  void TearDown() override { fs::remove_all(folder_); }

  std::string write(const std::string& text) {
    const fs::path path = folder_ / "exercise.toml";
    std::ofstream(path) << text;
    return path.string();
  }
  std::vector<ScenarioIssue> issues_of(const std::string& text) {
    try {
      load_exercise_file(write(text));
    } catch (const ScenarioError& e) {
      return e.issues;
    }
    ADD_FAILURE() << "the exercise loaded but should have been refused:\n" << text;
    return {};
  }
  fs::path folder_;
};

const std::string kHead = R"([exercise]
title = "Test"
briefing = "A short one."
scenario = "tiny.toml"
)";

const std::string kDecision = R"(
[[decision]]
step = 30
question = "Which?"
[[decision.option]]
label = "More investigators"
[decision.option.set]
policy.prosecution.investigators_per_100k = 5
[[decision.option]]
label = "Nothing"
)";

TEST_F(ExerciseTest, TheShippedExercisesLoad) {
  for (const char* name :
       {"supply_chain_forced_labour.toml", "sex_trafficking_protection_prosecution.toml"}) {
    SCOPED_TRACE(name);
    const Exercise e =
        load_exercise_file(std::string(test_paths::source_dir) + "/scenarios/exercises/" + name);
    EXPECT_FALSE(e.title.empty());
    EXPECT_FALSE(e.briefing.empty());
    EXPECT_EQ(e.decisions.size(), 2u);
    EXPECT_EQ(e.predictions.size(), 2u);
    EXPECT_GE(e.injects.size(), 2u);
    for (const ExerciseDecision& d : e.decisions) EXPECT_GE(d.options.size(), 2u);
  }
  // The fuzzer's seeds are exercises that load, as if they were among the
  // bundled scenarios (fuzz/scenario_checks.hpp).
  for (const char* name :
       {"exercise-supply-chain.toml", "exercise-protection-prosecution.toml", "exercise-every-field.toml"}) {
    SCOPED_TRACE(name);
    std::ifstream in(std::string(test_paths::source_dir) + "/fuzz/corpus/scenario/" + name);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty());
    EXPECT_NO_THROW(load_exercise_text(text, std::string(test_paths::source_dir) + "/scenarios/fuzz.toml"));
  }
}

TEST_F(ExerciseTest, InjectsJoinTheScenarioAndOptionsWaitForTheirDecision) {
  const Exercise e = load_exercise_file(write(kHead + R"(
[[inject]]
step = 20
headline = "Shelters cut"
region = "Away"
end_step = 40
[inject.scale]
policy.protection.shelter_beds_per_100k = 0.5

[[inject]]
step = 10
headline = "News only"
)" + kDecision + R"(
[[prediction]]
step = 60
question = "Up or down?"
metric = "prosecutions"
region = "Home"
horizon_steps = 26
same_within = 0.2
)"));
  EXPECT_EQ(e.title, "Test");
  ASSERT_EQ(e.injects.size(), 2u);
  EXPECT_EQ(e.injects[0].step, 10);  // by step
  EXPECT_TRUE(e.injects[0].changes.empty());
  ASSERT_EQ(e.injects[1].changes.size(), 1u);
  const InterventionSpec& cut = e.injects[1].changes[0];
  EXPECT_EQ(cut.start_step, 20);
  EXPECT_EQ(cut.end_step, 40);
  EXPECT_EQ(cut.region, 1);
  ASSERT_EQ(cut.changes.size(), 1u);
  EXPECT_EQ(cut.changes[0].op, LeverOp::Scale);
  EXPECT_DOUBLE_EQ(cut.changes[0].value, 0.5);
  // The inject is part of the exercise's world; the options are not, yet.
  const Scenario tiny = load_scenario_file(kTinyPath);
  ASSERT_EQ(e.scenario.interventions.size(), tiny.interventions.size() + 1);
  EXPECT_EQ(e.scenario.interventions.back().name, "inject 1: Shelters cut");  // numbered as written
  ASSERT_EQ(e.decisions.size(), 1u);
  ASSERT_EQ(e.decisions[0].options.size(), 2u);
  ASSERT_EQ(e.decisions[0].options[0].changes.size(), 1u);
  EXPECT_EQ(e.decisions[0].options[0].changes[0].start_step, 30);
  EXPECT_EQ(e.decisions[0].options[0].changes[0].region, -1);
  EXPECT_TRUE(e.decisions[0].options[1].changes.empty());
  ASSERT_EQ(e.predictions.size(), 1u);
  EXPECT_EQ(e.predictions[0].metric, Metric::prosecutions);
  EXPECT_EQ(e.predictions[0].region, 0);
  EXPECT_EQ(e.predictions[0].horizon, 26);
  EXPECT_DOUBLE_EQ(e.predictions[0].same_within, 0.2);
}

TEST_F(ExerciseTest, EveryMistakeIsReportedWhereItIsWithWhatIsAllowed) {
  const auto issues = issues_of(kHead + R"(
[[inject]]
step = 500
headline = "Late"
[inject.set]
policy.prosecution.investigators_per_10k = 5

[[decision]]
step = 30
question = "Only one option"
[[decision.option]]
label = "Alone"

[[prediction]]
step = 10
question = "?"
metric = "convictoins"
region = "Elsewhere"
horizon = 4
)");
  const std::string all = ScenarioError(issues).what();
  auto has = [&](const std::string& text) { return all.find(text) != std::string::npos; };
  // The step past the run, the unknown lever with its nearest key, the lone
  // option, the misspelt series and region, the unknown field, the step
  // without room for its horizon: each located in the exercise file.
  EXPECT_TRUE(has("exercise.toml:7:8: key 'inject.step' = 500: expected a step of the run")) << all;
  EXPECT_TRUE(has("did you mean 'policy.prosecution.investigators_per_100k'")) << all;
  EXPECT_TRUE(has("a decision needs at least two [[decision.option]]")) << all;
  EXPECT_TRUE(has("key 'prediction.metric' = \"convictoins\": no such series; did you mean 'convictions'"))
      << all;
  EXPECT_TRUE(has("key 'prediction.region' = \"Elsewhere\": no such region")) << all;
  EXPECT_TRUE(has("key 'prediction.horizon' = 4: unknown field; did you mean 'horizon_steps'")) << all;
  EXPECT_TRUE(has("key 'prediction.step' = 10: a prediction compares the 52 steps before")) << all;
  for (const ScenarioIssue& i : issues) EXPECT_GT(i.where.line, 0) << format_issue(i);
}

TEST_F(ExerciseTest, TheExerciseTableAndItsScenarioAreRequired) {
  auto first = [&](const std::string& text) {
    const auto issues = issues_of(text);
    return issues.empty() ? std::string() : std::string(ScenarioError(issues).what());
  };
  EXPECT_NE(first("[[inject]]\nstep = 1\nheadline = \"x\"\n").find("needs an [exercise] table"),
            std::string::npos);
  EXPECT_NE(first("[exercise]\ntitle = \"T\"\nscenario = \"missing.toml\"\n").find("no scenario file"),
            std::string::npos);
  EXPECT_NE(first(kHead + "[exercize]\n").find("unknown table; did you mean 'exercise'"), std::string::npos);
  EXPECT_NE(first(kHead).find("needs at least one [[inject]], [[decision]] or [[prediction]]"),
            std::string::npos);
  EXPECT_NE(first("[exercise\n").find("malformed TOML"), std::string::npos);
  // Problems of the scenario are the scenario file's, located there.
  std::ofstream(folder_ / "tiny.toml", std::ios::app) << "\n[policy.prosecution]\ninvestigators = 3\n";
  const auto issues = issues_of(kHead + kDecision);
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(fs::path(issues.front().where.file).filename(), "tiny.toml");
}

TEST(PredictionScore, ComparesTheHorizonBeforeWithTheHorizonAfter) {
  Series series(FrameLayout(2), 8);
  // Prosecutions (a flow) in region 0, category 0: 1 a step, then 2 a step.
  for (std::size_t t = 0; t < 8; ++t) {
    series.frame(t)[series.layout().index(Metric::prosecutions, 0, 0)] = t < 4 ? 1 : 2;
    series.frame(t)[series.layout().index(Metric::prosecutions, 1, 1)] = 10;  // another region
  }
  ExercisePrediction p;
  p.step = 4;
  p.horizon = 4;
  p.metric = Metric::prosecutions;
  p.region = 0;
  PredictionOutcome o = score_prediction(p, series, 100);
  EXPECT_DOUBLE_EQ(o.before, 400);  // 4 steps x 1 x 100 people per agent
  EXPECT_DOUBLE_EQ(o.after, 800);
  EXPECT_EQ(o.trend, Trend::Rise);
  // Within the band it is "about the same"; all regions count when none is named.
  p.region = -1;
  p.same_within = 0.2;
  o = score_prediction(p, series, 1);
  EXPECT_DOUBLE_EQ(o.before, 44);
  EXPECT_DOUBLE_EQ(o.after, 48);
  EXPECT_EQ(o.trend, Trend::Same);
  p.same_within = 0.05;
  EXPECT_EQ(score_prediction(p, series, 1).trend, Trend::Rise);
  // A stock is averaged, not summed.
  for (std::size_t t = 0; t < 8; ++t)
    series.frame(t)[series.layout().index(Metric::court_backlog, 0, 0)] = t < 4 ? 6 : 3;
  p.metric = Metric::court_backlog;
  p.region = 0;
  o = score_prediction(p, series, 1);
  EXPECT_DOUBLE_EQ(o.before, 6);
  EXPECT_DOUBLE_EQ(o.after, 3);
  EXPECT_EQ(o.trend, Trend::Fall);
}

}  // namespace
}  // namespace tipsim

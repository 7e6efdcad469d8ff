// A training exercise (tipsim-viewer --exercise FILE): a scenario, news
// that changes it at set steps (injects), decision points where the room
// chooses among interventions, and predictions the run then scores. Read
// from TOML and checked as scenarios are: every problem with its file, line,
// column, key and value, what is allowed and the nearest known name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "metrics.hpp"
#include "params.hpp"

namespace tipsim {

// News shown when the run has done `step` steps; its changes act from then on.
struct ExerciseInject {
  std::int32_t step = 0;
  std::string headline;
  std::string text;
  std::vector<InterventionSpec> changes;  // empty: news only
};

// One choice of a decision: the interventions it starts at the decision's step.
struct ExerciseOption {
  std::string label;
  std::string text;
  std::vector<InterventionSpec> changes;  // empty: keep the course
};

// The run pauses after `step` steps until the room chooses an option.
struct ExerciseDecision {
  std::int32_t step = 0;
  std::string question;
  std::string text;
  std::vector<ExerciseOption> options;  // at least two
};

// What a prediction asks of a figure: whether it rises, falls or stays about
// the same from the `horizon` steps before the question to the `horizon`
// steps after it.
enum class Trend : std::uint8_t { Rise, Fall, Same };
std::string_view trend_name(Trend trend);  // "rise", "fall", "stay about the same"

// The run pauses after `step` steps until the room answers; the answer is
// scored once the run has done step + horizon steps.
struct ExercisePrediction {
  std::int32_t step = 0;
  std::string question;
  Metric metric = Metric{};
  std::int32_t region = -1;  // -1: every region
  std::int32_t horizon = 52;
  double same_within = 0.1;  // a change within this share of the past value is "about the same"
};

struct Exercise {
  std::string path;
  std::string title;
  std::string briefing;
  // The exercise's scenario with the injects' changes among its
  // interventions (named "inject N: HEADLINE"): what the room sees happen.
  Scenario scenario;
  std::vector<ExerciseInject> injects;  // by step
  std::vector<ExerciseDecision> decisions;
  std::vector<ExercisePrediction> predictions;
  std::int32_t debrief_replicates = 8;  // runs of each branch the debrief compares
};

// Reads and checks an exercise file; its scenario path is relative to the
// file. Throws ScenarioError listing every problem.
Exercise load_exercise_file(const std::string& path);
// The same from text already in memory, as if it were the file at `path`.
Exercise load_exercise_text(std::string_view text, const std::string& path);

// The value a prediction compares over steps [from, to) of a run's series:
// the metric summed over its categories and the region (all regions for
// -1), summed over the steps for a flow and averaged for a stock, in real
// units (counts times `population_scale`).
double prediction_window(const ExercisePrediction& prediction, const Series& series, std::int32_t from,
                         std::int32_t to, double population_scale);

// A prediction scored against a run: the value over the horizon before the
// question and after it, and the trend they show.
struct PredictionOutcome {
  double before = 0;
  double after = 0;
  Trend trend = Trend::Same;
};
PredictionOutcome score_prediction(const ExercisePrediction& prediction, const Series& series,
                                   double population_scale);

}  // namespace tipsim

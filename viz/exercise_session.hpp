// An exercise as the room plays it: the run stops at each decision and
// prediction until the room answers, the injects' news appear as the run
// reaches them, and at the end the debrief compares every decision taken
// with the options not taken, in the same world (common random numbers),
// and scores the predictions against what the run showed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "comparison.hpp"
#include "exercise.hpp"
#include "live_session.hpp"

namespace tipsim::viz {

// What the run waits for.
struct ExercisePrompt {
  enum Kind { None, Decision, Prediction } kind = None;
  std::size_t index = 0;  // into the exercise's decisions or predictions
};

// One decision against one option the room did not take: the paired
// effects (comparison.hpp's table) of the option taken over the untaken
// one, every other choice as the room made it.
struct DecisionEffect {
  std::size_t decision = 0;
  std::size_t untaken = 0;
  ArmEffects effects;                  // baseline: the untaken option, arm: the option taken
  std::vector<double> session_values;  // [effect]: replicate 1 alone, the run the room watched
};

struct PredictionResult {
  std::size_t prediction = 0;
  std::optional<Trend> answer;
  bool scored = false;  // the run went on long enough to say
  PredictionOutcome outcome;
  bool correct() const { return scored && answer && *answer == outcome.trend; }
};

struct Debrief {
  std::vector<std::optional<std::size_t>> choices;  // per decision: the option taken
  std::vector<PredictionResult> predictions;
  std::vector<DecisionEffect> effects;  // per decision, per untaken option
  std::size_t replicates = 0;           // runs of each branch compared
  // The runs of replicate 1 (the session's), in real units: [0] the
  // branch taken, then one per DecisionEffect.
  std::vector<Series> branches;
  // The taken branch's replicate 1 is the session itself, bit for bit.
  bool session_reproduced = false;
  std::string error;
};

class ExerciseSession {
 public:
  // Starts the live session on the exercise's scenario; it stops at the
  // first question.
  ExerciseSession(Exercise exercise, std::string command_line);
  ~ExerciseSession();
  ExerciseSession(const ExerciseSession&) = delete;
  ExerciseSession& operator=(const ExerciseSession&) = delete;

  const Exercise& exercise() const { return exercise_; }
  LiveSession& live() { return *live_; }

  // The question the run waits for at the steps done, if any.
  ExercisePrompt prompt(const LiveStatus& status) const;
  // The step of the next question not yet answered; -1: none left.
  std::int32_t next_stop() const;
  // The room's choice: the option's changes start at the decision's step.
  void choose(std::size_t decision, std::size_t option);
  // The room's answer to a prediction.
  void predict(std::size_t prediction, Trend answer);
  const std::vector<std::optional<std::size_t>>& choices() const { return choices_; }
  const std::vector<std::optional<Trend>>& answers() const { return answers_; }

  // The injects the run has reached, newest first.
  std::vector<const ExerciseInject*> news(std::int32_t steps_done) const;

  // Starts the debrief on a thread of its own once the run is finished:
  // `view` is the session as the interface holds it (its frames in real
  // units). Computing it runs every branch `debrief_replicates` times.
  void start_debrief(const LiveView& view);
  bool debrief_started() const { return debrief_thread_.joinable(); }
  // The runs done so far and to do, while it is computed.
  std::pair<std::uint64_t, std::uint64_t> debrief_progress() const {
    return {runs_done_.load(), runs_total_.load()};
  }
  // The debrief once computed; null before.
  std::shared_ptr<const Debrief> debrief() const;
  // Blocks until the debrief is computed (headless capture, tests).
  void wait_for_debrief();

 private:
  struct Stop {
    std::int32_t step;
    ExercisePrompt prompt;
  };
  // The first question, by step, the room has not answered; null: none left.
  const Stop* first_unanswered() const;
  void compute_debrief(Scenario taken, Series session, Debrief debrief);

  Exercise exercise_;
  std::unique_ptr<LiveSession> live_;
  std::vector<Stop> stops_;  // by step; a decision before a prediction at the same step
  std::vector<std::optional<std::size_t>> choices_;
  std::vector<std::optional<Trend>> answers_;
  mutable std::mutex debrief_mutex_;
  std::shared_ptr<const Debrief> debrief_;
  std::atomic<std::uint64_t> runs_done_{0};
  std::atomic<std::uint64_t> runs_total_{0};
  std::atomic<bool> cancel_{false};
  std::thread debrief_thread_;
};

// The name a decision's option carries as an intervention: "decision N,
// option M: LABEL" (unique, so the debrief can swap one option for another).
std::string option_intervention_name(std::size_t decision, std::size_t option, const ExerciseOption& spec);

}  // namespace tipsim::viz

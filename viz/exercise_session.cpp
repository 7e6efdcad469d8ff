#include "exercise_session.hpp"

#include <algorithm>
#include <cstring>

#include "experiment.hpp"
#include "intervention_recorder.hpp"

namespace tipsim::viz {

std::string option_intervention_name(std::size_t decision, std::size_t option, const ExerciseOption& spec) {
  return "decision " + std::to_string(decision + 1) + ", option " + std::to_string(option + 1) + ": " +
         spec.label;
}

namespace {

// A decision's option, named as the session records it.
std::vector<InterventionSpec> option_changes(const Exercise& exercise, std::size_t decision,
                                             std::size_t option) {
  const ExerciseOption& spec = exercise.decisions[decision].options[option];
  std::vector<InterventionSpec> out = spec.changes;
  for (InterventionSpec& iv : out) iv.name = option_intervention_name(decision, option, spec);
  return out;
}

// Collects every run's summary, and replicate 1's series in real units.
class DebriefRuns : public ReplicateSink {
 public:
  DebriefRuns(std::size_t points, std::size_t replicates, std::vector<double> scales)
      : summaries(points, std::vector<std::vector<double>>(replicates)),
        series(points),
        scales_(std::move(scales)) {}
  void consume(ReplicateResult&& result) override {
    summaries[result.point][result.replicate] = std::move(result.summary);
    if (result.replicate != 0) return;
    Series& s = series[result.point];
    s = std::move(result.series);
    for (std::size_t t = 0; t < s.steps(); ++t) to_real_units(s.layout(), s.frame(t), scales_[result.point]);
  }
  std::vector<std::vector<std::vector<double>>> summaries;  // [point][replicate]
  std::vector<Series> series;                               // [point]: replicate 1

 private:
  std::vector<double> scales_;
};

}  // namespace

ExerciseSession::ExerciseSession(Exercise exercise, std::string command_line)
    : exercise_(std::move(exercise)),
      choices_(exercise_.decisions.size()),
      answers_(exercise_.predictions.size()) {
  for (std::size_t d = 0; d < exercise_.decisions.size(); ++d)
    stops_.push_back({exercise_.decisions[d].step, {ExercisePrompt::Decision, d}});
  for (std::size_t p = 0; p < exercise_.predictions.size(); ++p)
    stops_.push_back({exercise_.predictions[p].step, {ExercisePrompt::Prediction, p}});
  std::stable_sort(stops_.begin(), stops_.end(),
                   [](const Stop& a, const Stop& b) { return a.step < b.step; });
  live_ = std::make_unique<LiveSession>(exercise_.scenario, std::move(command_line));
  live_->stop_at(next_stop());
}

ExerciseSession::~ExerciseSession() {
  cancel_ = true;
  if (debrief_thread_.joinable()) debrief_thread_.join();
}

const ExerciseSession::Stop* ExerciseSession::first_unanswered() const {
  for (const Stop& stop : stops_) {
    const bool answered = stop.prompt.kind == ExercisePrompt::Decision
                              ? choices_[stop.prompt.index].has_value()
                              : answers_[stop.prompt.index].has_value();
    if (!answered) return &stop;
  }
  return nullptr;
}

ExercisePrompt ExerciseSession::prompt(const LiveStatus& status) const {
  const Stop* stop = first_unanswered();
  if (status.building || stop == nullptr || status.steps_done < stop->step) return {};
  return stop->prompt;
}

std::int32_t ExerciseSession::next_stop() const {
  const Stop* stop = first_unanswered();
  return stop != nullptr ? stop->step : -1;
}

void ExerciseSession::choose(std::size_t decision, std::size_t option) {
  if (decision >= choices_.size() || choices_[decision] ||
      option >= exercise_.decisions[decision].options.size())
    return;
  choices_[decision] = option;
  live_->add_interventions(option_changes(exercise_, decision, option));
  live_->stop_at(next_stop());
}

void ExerciseSession::predict(std::size_t prediction, Trend answer) {
  if (prediction >= answers_.size() || answers_[prediction]) return;
  answers_[prediction] = answer;
  live_->stop_at(next_stop());
}

std::vector<const ExerciseInject*> ExerciseSession::news(std::int32_t steps_done) const {
  std::vector<const ExerciseInject*> out;
  for (const ExerciseInject& inject : exercise_.injects)
    if (inject.step <= steps_done) out.push_back(&inject);
  std::reverse(out.begin(), out.end());
  return out;
}

void ExerciseSession::start_debrief(const LiveView& view) {
  if (debrief_thread_.joinable()) return;
  Debrief debrief;
  if (view.frames < exercise_.scenario.steps()) {
    debrief.error = "the debrief comes at the end of the run";
    std::lock_guard lock(debrief_mutex_);
    debrief_ = std::make_shared<const Debrief>(std::move(debrief));
    return;
  }
  debrief.choices = choices_;
  // Predictions are scored against the run the room watched.
  for (std::size_t p = 0; p < exercise_.predictions.size(); ++p) {
    const ExercisePrediction& prediction = exercise_.predictions[p];
    PredictionResult result;
    result.prediction = p;
    result.answer = answers_[p];
    result.scored = prediction.step + prediction.horizon <= view.frames;
    if (result.scored) result.outcome = score_prediction(prediction, view.history, 1.0);
    debrief.predictions.push_back(result);
  }
  Scenario taken = session_scenario(exercise_.scenario, view.status.recorded, view.frames);
  Series session = view.history;
  debrief_thread_ = std::thread(
      [this, taken = std::move(taken), session = std::move(session), debrief = std::move(debrief)]() mutable {
        compute_debrief(std::move(taken), std::move(session), std::move(debrief));
      });
}

void ExerciseSession::compute_debrief(Scenario taken, Series session, Debrief debrief) {
  // The branches: the one taken, then each untaken option of each decision
  // with every other choice as made.
  std::vector<Scenario> points = {taken};
  std::vector<std::pair<std::size_t, std::size_t>> branch_of;  // per point after the first
  for (std::size_t d = 0; d < exercise_.decisions.size(); ++d) {
    if (!debrief.choices[d]) continue;
    const ExerciseDecision& decision = exercise_.decisions[d];
    const std::size_t chosen = *debrief.choices[d];
    const std::string taken_name = option_intervention_name(d, chosen, decision.options[chosen]);
    for (std::size_t o = 0; o < decision.options.size(); ++o) {
      if (o == *debrief.choices[d]) continue;
      Scenario other = taken;
      auto& list = other.interventions;
      auto first = std::find_if(list.begin(), list.end(),
                                [&](const InterventionSpec& iv) { return iv.name == taken_name; });
      const auto at = static_cast<std::size_t>(first - list.begin());
      std::erase_if(list, [&](const InterventionSpec& iv) { return iv.name == taken_name; });
      const std::vector<InterventionSpec> changes = option_changes(exercise_, d, o);
      list.insert(list.begin() + static_cast<std::ptrdiff_t>(std::min(at, list.size())), changes.begin(),
                  changes.end());
      points.push_back(std::move(other));
      branch_of.emplace_back(d, o);
    }
  }
  const auto replicates = static_cast<std::size_t>(exercise_.debrief_replicates);
  for (Scenario& s : points) s.globals[Param::scenario_replicates] = static_cast<double>(replicates);
  std::vector<double> scales;
  for (const Scenario& s : points) scales.push_back(s.get(Param::population_scale));
  DebriefRuns runs(points.size(), replicates, scales);
  ExperimentOptions options;
  options.replicates = replicates;
  options.cancel = &cancel_;
  options.on_progress = [this](const Progress& p) {
    runs_done_ = p.steps_done;
    runs_total_ = p.steps_total;
  };
  try {
    if (run_experiment(points, options, runs) == ExperimentStatus::Cancelled) return;
    debrief.replicates = replicates;
    const Series& again = runs.series[0];
    debrief.session_reproduced =
        again.steps() == session.steps() &&
        std::memcmp(again.data().data(), session.data().data(), session.data().size() * sizeof(double)) == 0;
    for (std::size_t i = 0; i < branch_of.size(); ++i) {
      DecisionEffect effect;
      effect.decision = branch_of[i].first;
      effect.untaken = branch_of[i].second;
      effect.effects = paired_effects(runs.summaries[i + 1], runs.summaries[0]);
      for (const auto& paired : effect.effects.paired) effect.session_values.push_back(paired.at(0));
      debrief.effects.push_back(std::move(effect));
    }
    debrief.branches = std::move(runs.series);
  } catch (const std::exception& e) {
    debrief.error = std::string("cannot compute the debrief: ") + e.what();
  }
  std::lock_guard lock(debrief_mutex_);
  debrief_ = std::make_shared<const Debrief>(std::move(debrief));
}

std::shared_ptr<const Debrief> ExerciseSession::debrief() const {
  std::lock_guard lock(debrief_mutex_);
  return debrief_;
}

void ExerciseSession::wait_for_debrief() {
  if (debrief_thread_.joinable()) debrief_thread_.join();
}

}  // namespace tipsim::viz

// One replicate of a scenario, stepped by the caller. The CLI, the viewer
// and the tests all drive the model through this class.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "events.hpp"
#include "metrics.hpp"
#include "model.hpp"
#include "params.hpp"
#include "snapshots.hpp"
#include "state.hpp"
#include "step_context.hpp"

namespace tipsim {

// What a simulation records besides its series. Both are off by default:
// they only observe, and cost memory and time.
struct Recording {
  bool events = false;              // the event log (events.hpp)
  std::int32_t snapshot_every = 0;  // person snapshots every K steps; 0 = none
};

class Simulation {
 public:
  // Compiles the scenario into a model of its own and builds the state at
  // step 0 of the given replicate.
  Simulation(const Scenario& scenario, std::uint32_t replicate, const Recording& recording = {});
  // A replicate of a model compiled once and shared by several simulations
  // (the replicates of a run, on any threads).
  Simulation(std::shared_ptr<const Model> model, std::uint32_t replicate, const Recording& recording = {});
  // A fork: continues from `checkpoint` (the whole state at the end of a
  // step of some run) under `model`, which may differ from the run's in
  // what acts from now on, never in what made the past (fork_refusal()).
  // The random streams are counter-based, so with an unchanged model the
  // fork's steps are the parent's, bit for bit. Series rows and events
  // before the checkpoint's step are the parent's, not the fork's: they
  // stay zero here.
  Simulation(std::shared_ptr<const Model> model, State checkpoint, const Recording& recording = {});

  // Advances one step: the phases of model.md in order, then the metrics.
  void step();
  // Steps until the model's steps are done.
  void run_to_end();

  // The one change a running simulation accepts from outside (the viewer's
  // levers): an intervention that starts at the next step or later. A
  // second intervention on the same levers, region and start step replaces
  // the first (a lever moved twice before the step ran). Throws
  // std::invalid_argument for one that would change the past.
  void add_intervention(const InterventionSpec& intervention);

  std::int32_t steps_done() const { return state_.step; }
  bool finished() const { return state_.step >= model_->steps; }
  const Model& model() const { return *model_; }
  const State& state() const { return state_; }
  // The whole state at the end of the last step: what a fork continues from.
  State checkpoint() const { return state_; }
  // Takes the past of a fork from the run it continues: the series rows,
  // events and snapshots of the steps before the checkpoint's, so that the
  // fork's results are the whole run's.
  void adopt_past(const Series& series, const EventList& events, const Snapshots& snapshots);
  const Scenario& scenario() const { return model_->scenario; }
  // Metrics of every step done so far (rows beyond steps_done() are zero).
  const Series& series() const { return series_; }
  Series take_series() { return std::move(series_); }
  // The events recorded so far; null when the log is off.
  const EventLog* event_log() const { return events_.get(); }
  EventList take_events() { return events_ ? events_->take() : EventList{}; }
  const Snapshots& snapshots() const { return snapshots_; }
  Snapshots take_snapshots() { return std::move(snapshots_); }

 private:
  std::shared_ptr<const Model> model_;
  State state_;
  StepContext context_;
  Series series_;
  std::unique_ptr<EventLog> events_;  // the step records into it when set
  std::int32_t snapshot_every_ = 0;
  Snapshots snapshots_;
  std::size_t added_interventions_ = 0;  // interventions add_intervention() appended to the model's
};

// Why a fork under `changed` cannot continue a run of `parent`: the keys
// that made the past and differ (population size, scale and shares, seed,
// step length, the regions, everything read only to build the world at step
// 0), one per line with both values; empty when the fork may go on.
std::string fork_refusal(const Scenario& parent, const Scenario& changed);

// Memory a run of this scenario needs per replicate, in bytes (persons,
// traffickers, series), for refusing runs that cannot fit. What recording
// adds is estimate_recording()'s.
std::uint64_t estimate_replicate_bytes(const Scenario& scenario);

// Memory a point of an experiment holds for the whole experiment, in bytes:
// its scenario (the experiment's, the run file's and its model's copies) and
// its compiled model, measured on this point as the heap they take.
std::uint64_t estimate_point_bytes(const Scenario& point);

}  // namespace tipsim

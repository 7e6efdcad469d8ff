// One replicate of a scenario, stepped by the caller. The CLI, the viewer
// and the tests all drive the model through this class.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "events.hpp"
#include "metrics.hpp"
#include "params.hpp"
#include "snapshots.hpp"
#include "state.hpp"

namespace tipsim {

// What a simulation records besides its series. Both are off by default:
// they only observe, and cost memory and time.
struct Recording {
  bool events = false;              // the event log (events.hpp)
  std::int32_t snapshot_every = 0;  // person snapshots every K steps; 0 = none
};

class Simulation {
 public:
  // Builds the world at step 0 from the scenario (which must outlive the
  // simulation) for the given replicate.
  Simulation(const Scenario& scenario, std::uint32_t replicate, const Recording& recording = {});

  // Advances one step: the phases of model.md in order, then the metrics.
  void step();
  // Steps until scenario.steps are done.
  void run_to_end();

  std::int32_t steps_done() const { return world_.step; }
  bool finished() const { return world_.step >= scenario_->steps(); }
  const World& world() const { return world_; }
  World& mutable_world() { return world_; }
  const Scenario& scenario() const { return *scenario_; }
  // Metrics of every step done so far (rows beyond steps_done() are zero).
  const Series& series() const { return series_; }
  Series take_series() { return std::move(series_); }
  // The events recorded so far; null when the log is off.
  const EventLog* event_log() const { return events_.get(); }
  std::vector<Event> take_events() { return events_ ? events_->take() : std::vector<Event>{}; }
  const Snapshots& snapshots() const { return snapshots_; }
  Snapshots take_snapshots() { return std::move(snapshots_); }

 private:
  const Scenario* scenario_;
  World world_;
  Series series_;
  std::unique_ptr<EventLog> events_;  // the world records into it when set
  std::int32_t snapshot_every_ = 0;
  Snapshots snapshots_;
};

// Memory a run of this scenario needs per replicate, in bytes (persons,
// traffickers, series), for refusing runs that cannot fit. What recording
// adds is estimate_recording()'s.
std::uint64_t estimate_replicate_bytes(const Scenario& scenario);

}  // namespace tipsim

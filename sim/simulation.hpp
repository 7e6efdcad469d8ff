// One replicate of a scenario, stepped by the caller. The CLI, the viewer
// and the tests all drive the model through this class.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "metrics.hpp"
#include "params.hpp"
#include "state.hpp"

namespace tipsim {

class Simulation {
 public:
  // Builds the world at step 0 from the scenario (which must outlive the
  // simulation) for the given replicate.
  Simulation(const Scenario& scenario, std::uint32_t replicate);

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

 private:
  const Scenario* scenario_;
  World world_;
  Series series_;
};

// Memory a run of this scenario needs per replicate, in bytes (persons,
// traffickers, series), for refusing runs that cannot fit.
std::uint64_t estimate_replicate_bytes(const Scenario& scenario);

}  // namespace tipsim

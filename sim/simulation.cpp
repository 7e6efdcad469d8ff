#include "simulation.hpp"

#include <algorithm>

#include "phases.hpp"

namespace tipsim {

Simulation::Simulation(const Scenario& scenario, std::uint32_t replicate, const Recording& recording)
    : scenario_(&scenario),
      series_(FrameLayout(scenario.regions.size()), static_cast<std::size_t>(scenario.steps())),
      snapshot_every_(recording.snapshot_every) {
  initialise_world(world_, scenario, replicate);
  if (recording.events) {
    events_ = std::make_unique<EventLog>();
    world_.events = events_.get();
  }
}

void Simulation::step() {
  if (finished()) return;
  const std::int32_t index = world_.step;
  step_world(world_);
  auto frame = series_.frame(static_cast<std::size_t>(index));
  std::copy(world_.frame.begin(), world_.frame.end(), frame.begin());
  if (snapshot_due(index, snapshot_every_)) snapshots_.take(world_);
}

void Simulation::run_to_end() {
  while (!finished()) step();
}

std::uint64_t estimate_replicate_bytes(const Scenario& scenario) {
  const double persons = scenario.get(Param::population_size);
  double traffickers_per_100k = 0;
  for (const RegionSpec& r : scenario.regions)
    traffickers_per_100k = std::max(traffickers_per_100k, r.values[Param::traffickers_initial_per_100k]);
  // Traffickers grow by entry; room for four times the start is reserved.
  const double traffickers = 4.0 * traffickers_per_100k * persons / 1e5 + 1024;
  const double trafficker_bytes = 4 * 1 + 2 * 4 + 2 * 2 + 2 * 4 + 8;
  // The involved list and its merge buffer: up to 2 % of people each.
  const double involved_bytes = 2 * 0.02 * persons * 4;
  const double series_bytes =
      static_cast<double>(FrameLayout(scenario.regions.size()).size()) * 8.0 * scenario.steps();
  return static_cast<std::uint64_t>(persons * Persons::bytes_per_person() + traffickers * trafficker_bytes +
                                    involved_bytes + series_bytes);
}

}  // namespace tipsim

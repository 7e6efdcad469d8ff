// The compiled model: everything about a run that does not change while it
// runs, computed once from a scenario and shared, read-only, by every
// replicate of it (and by every thread). What changes is the State
// (state.hpp); scratch buffers and observers travel in the StepContext
// (step_context.hpp). The step is step(const Model&, State&, StepContext&).
#pragma once

#include <cstdint>
#include <vector>

#include "metrics.hpp"
#include "params.hpp"

namespace tipsim {

// The persons whose home is a region: the index range [person_begin,
// person_end); persons are sorted by home region.
struct RegionModel {
  std::uint32_t person_begin = 0;  // first person whose home is here
  std::uint32_t person_end = 0;    // one past the last
  double population = 0;           // agents whose home is here (person_end - person_begin)
  double people = 0;               // the real people they stand for: population x population.scale
};

// A contiguous slice of one region's persons, the unit of parallel work
// for passes over the whole population.
struct PersonBlock {
  std::uint32_t region;
  std::uint32_t begin;
  std::uint32_t end;
};

struct Model {
  // The scenario as compiled: its parameters, regions, routes and the
  // interventions whose levers the policy schedule applies.
  Scenario scenario;
  std::uint64_t seed = 0;           // with the replicate, names every random stream
  double step_years = 7.0 / 365.0;  // length of a step in years
  std::int32_t steps = 0;           // steps of a run
  double population_scale = 1;      // real people per agent: counts x scale = people; money is real

  std::vector<RegionModel> regions;
  std::vector<PersonBlock> blocks;  // the persons in slices of one region
  // regions x regions: mean steps in transit from home to destination.
  std::vector<double> route_transit_steps;
  double domestic_delay_steps = 0;       // mean steps from recruitment to exploitation at home
  std::vector<double> route_cumulative;  // regions x regions: cumulative destination probabilities
  FrameLayout layout;                    // where each metric lies in a step's frame

  std::size_t region_count() const { return regions.size(); }
  std::uint32_t person_count() const { return regions.empty() ? 0 : regions.back().person_end; }
};

// Compiles a scenario (already validated) into its model.
Model compile_model(const Scenario& scenario);

}  // namespace tipsim

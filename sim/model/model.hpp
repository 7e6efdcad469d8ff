// The compiled model: everything about a run that does not change while it
// runs, computed once from a scenario and shared, read-only, by every
// replicate of it (and by every thread). What changes is the State
// (state.hpp); scratch buffers and observers travel in the StepContext
// (step_context.hpp). The step is step(const Model&, State&, StepContext&).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "metrics.hpp"
#include "params.hpp"

namespace tipsim {

// The persons whose home is a region. When every person is an agent they
// are the index range [person_begin, person_end), sorted by home region;
// with untouched people in strata the range is empty and the state lists
// the region's agents (State::members).
struct RegionModel {
  std::uint32_t person_begin = 0;  // first person whose home is here
  std::uint32_t person_end = 0;    // one past the last
  double population = 0;           // persons whose home is here, agents or untouched
  double people = 0;               // the real people they stand for: population x population.scale
  // With strata: the step-0 vulnerability distribution's quantiles at
  // kQuantilesPerBin points a bin (bins x kQuantilesPerBin + 1 values, from
  // 0 to 1), which a stratum's bin and a person's draw within it read;
  // shared by every model compiled from the same shape (a comparison's
  // points, the memory estimate's pilots).
  std::shared_ptr<const std::vector<double>> vulnerability_quantiles;
  double vulnerability_alpha = 1, vulnerability_beta = 1;  // that distribution's Beta shape
};

// A slice of one region's agents, the unit of parallel work for passes
// over the whole population: positions [begin, end) of the region's agents,
// which are the person ids themselves (slots null) or slots[position].
struct PersonBlock {
  // Persons per block: each block draws from streams of its own, so the
  // blocks (and the results) are the same at any thread count.
  static constexpr std::uint32_t kSize = 1u << 16;
  std::uint32_t region;
  std::uint32_t begin;
  std::uint32_t end;
  const std::uint32_t* slots = nullptr;
  std::uint32_t person(std::uint32_t position) const { return slots ? slots[position] : position; }
};

struct Model {
  // The scenario as compiled: its parameters, regions, routes and the
  // interventions whose levers the policy schedule applies.
  Scenario scenario;
  std::uint64_t seed = 0;           // with the replicate, names every random stream
  double step_years = 7.0 / 365.0;  // length of a step in years
  std::int32_t steps = 0;           // steps of a run
  double population_scale = 1;      // real people per agent: counts x scale = people; money is real

  // Untouched people are counts in strata (population.untouched_in_strata),
  // with this many vulnerability bins.
  bool untouched_in_strata = false;
  std::uint32_t vulnerability_bins = 1;
  static constexpr std::uint32_t kQuantilesPerBin = 64;

  std::vector<RegionModel> regions;
  std::vector<PersonBlock> blocks;  // every person an agent: the persons in slices of one region
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

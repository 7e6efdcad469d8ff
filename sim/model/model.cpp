// Compiling a scenario into its model: the persons' index ranges and
// blocks, the route tables and the frame layout.
#include "model.hpp"

#include <algorithm>
#include <cmath>

namespace tipsim {

namespace {

constexpr std::uint32_t kBlockSize = 1u << 16;

// Persons sorted by home region, each region's share of the population.
void compile_regions(const Scenario& s, Model& model) {
  const std::size_t regions = s.regions.size();
  model.regions.assign(regions, RegionModel{});
  double total_share = 0;
  for (const RegionSpec& r : s.regions) total_share += r.values[Param::population_share];
  const double size = s.get(Param::population_size);
  double cumulative = 0;
  std::uint32_t begin = 0;
  for (std::size_t r = 0; r < regions; ++r) {
    cumulative += s.regions[r].values[Param::population_share];
    const auto end = static_cast<std::uint32_t>(
        total_share > 0 ? std::llround(size * cumulative / total_share) : (r + 1 == regions ? size : 0));
    RegionModel& rm = model.regions[r];
    rm.person_begin = begin;
    rm.person_end = std::max(begin, end);
    rm.population = rm.person_end - rm.person_begin;
    rm.people = rm.population * s.get(Param::population_scale);
    begin = rm.person_end;
    for (std::uint32_t b = rm.person_begin; b < rm.person_end; b += kBlockSize)
      model.blocks.push_back(
          PersonBlock{static_cast<std::uint32_t>(r), b, std::min(rm.person_end, b + kBlockSize)});
  }
}

// Routes: the remainder of each region's row is domestic trafficking.
void compile_routes(const Scenario& s, Model& model) {
  const std::size_t regions = s.regions.size();
  model.route_transit_steps.assign(regions * regions, 0.0);
  std::vector<double> probability(regions * regions, 0.0);
  for (std::size_t r = 0; r < regions; ++r) probability[r * regions + r] = 1.0;
  for (const RouteSpec& route : s.routes) {
    probability[route.from * regions + route.to] += route.share;
    probability[route.from * regions + route.from] -= route.share;
    model.route_transit_steps[route.from * regions + route.to] =
        route.transit_days / s.get(Param::scenario_step_days);
  }
  model.route_cumulative.assign(regions * regions, 0.0);
  for (std::size_t r = 0; r < regions; ++r) {
    double running = 0;
    for (std::size_t j = 0; j < regions; ++j) {
      running += std::max(0.0, probability[r * regions + j]);
      model.route_cumulative[r * regions + j] = running;
    }
  }
}

}  // namespace

Model compile_model(const Scenario& scenario) {
  Model model;
  model.scenario = scenario;
  model.seed = scenario.seed();
  model.step_years = scenario.step_years();
  model.steps = scenario.steps();
  model.population_scale = scenario.get(Param::population_scale);
  model.layout = FrameLayout(scenario.regions.size());
  compile_regions(scenario, model);
  compile_routes(scenario, model);
  model.domestic_delay_steps =
      scenario.get(Param::movement_domestic_delay_days) / scenario.get(Param::scenario_step_days);
  return model;
}

}  // namespace tipsim

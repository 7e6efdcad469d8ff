// Compiling a scenario into its model: the persons' index ranges and
// blocks, the route tables and the frame layout.
#include "model.hpp"

#include <algorithm>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

#include "model_math.hpp"

namespace tipsim {

namespace {

// The quantiles of a region's step-0 vulnerability distribution (a Beta
// with the levers' mean and sd) at kQuantilesPerBin points a bin.
void compile_vulnerability_quantiles(const ParamValues& levers, std::uint32_t bins, RegionModel& rm) {
  const auto [alpha, beta] =
      beta_shape(levers[Param::population_vulnerability_mean], levers[Param::population_vulnerability_sd]);
  rm.vulnerability_alpha = alpha;
  rm.vulnerability_beta = beta;
  const std::uint32_t points = bins * Model::kQuantilesPerBin;
  // Each point inverts the Beta in long double (2 048 a region at 32 bins:
  // 0.2 s for the world): every point of a comparison and every pilot of the
  // memory estimate compiles the same shapes, so each is computed once.
  static std::mutex mutex;
  static std::map<std::tuple<double, double, std::uint32_t>, std::shared_ptr<const std::vector<double>>>
      computed;
  const std::lock_guard lock(mutex);
  auto [found, inserted] = computed.try_emplace({alpha, beta, points});
  if (inserted) {
    auto q = std::make_shared<std::vector<double>>(points + 1);
    q->front() = 0.0;
    q->back() = 1.0;
    for (std::uint32_t k = 1; k < points; ++k)
      (*q)[k] = boost::math::ibeta_inv(alpha, beta, static_cast<double>(k) / points);
    found->second = std::move(q);
  }
  rm.vulnerability_quantiles = found->second;
}

// Persons sorted by home region, each region's share of the population.
void compile_regions(const Scenario& s, Model& model) {
  const std::size_t regions = s.regions.size();
  model.regions.assign(regions, RegionModel{});
  double total_share = 0;
  for (const RegionSpec& r : s.regions) total_share += r.values[Param::population_share];
  const double size = s.get(Param::population_size);
  double cumulative = 0;
  std::uint64_t begin = 0;
  for (std::size_t r = 0; r < regions; ++r) {
    cumulative += s.regions[r].values[Param::population_share];
    const auto end = static_cast<std::uint64_t>(
        total_share > 0 ? std::llround(size * cumulative / total_share) : (r + 1 == regions ? size : 0));
    RegionModel& rm = model.regions[r];
    rm.population = static_cast<double>(std::max(begin, end) - begin);
    rm.people = rm.population * s.get(Param::population_scale);
    if (model.untouched_in_strata) {
      compile_vulnerability_quantiles(s.regions[r].values, model.vulnerability_bins, rm);
    } else {
      rm.person_begin = static_cast<std::uint32_t>(begin);
      rm.person_end = static_cast<std::uint32_t>(std::max(begin, end));
      for (std::uint32_t b = rm.person_begin; b < rm.person_end; b += PersonBlock::kSize)
        model.blocks.push_back(
            PersonBlock{static_cast<std::uint32_t>(r), b, std::min(rm.person_end, b + PersonBlock::kSize)});
    }
    begin = std::max(begin, end);
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
  model.untouched_in_strata = scenario.get(Param::population_untouched_in_strata) != 0;
  model.vulnerability_bins = static_cast<std::uint32_t>(scenario.get(Param::population_vulnerability_bins));
  compile_regions(scenario, model);
  compile_routes(scenario, model);
  model.domestic_delay_steps =
      scenario.get(Param::movement_domestic_delay_days) / scenario.get(Param::scenario_step_days);
  return model;
}

}  // namespace tipsim

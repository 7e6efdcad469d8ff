// What the panels show, computed from the per-step metric frames the model
// reports: chart series, the population of a region at a step, and the
// people trafficked along each route. The same code serves a live session
// and a replayed run file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "metrics.hpp"
#include "params.hpp"
#include "state.hpp"

namespace tipsim::viz {

// Sum of metric m in one step's frame over one region (-1 = all) and one
// category of its axis (-1 = all).
double frame_value(const FrameLayout& layout, std::span<const double> frame, Metric m, int region = -1,
                   int category = -1);

// The time series the charts draw.
enum class Indicator : std::uint8_t {
  Exploited,            // true: persons in exploitation (stock)
  IdentifiedPerYear,    // observed: victims identified, per year
  ProsecutionsPerYear,  // observed: traffickers prosecuted, per year
  ConvictionsPerYear,   // observed: traffickers convicted, per year
  TraffickersActive,    // true: active traffickers (stock)
  TraffickersInPrison,  // true: incarcerated traffickers (stock)
  ShelterOccupied,      // persons in protection (stock)
  ShelterPlaces,        // shelter places available (stock)
};
inline constexpr std::size_t kIndicatorCount = 8;

struct IndicatorSpec {
  Indicator id;
  std::string_view label;  // legend text
  Metric metric;
  int category;   // category of the metric's axis, -1 = all
  bool per_year;  // a flow shown as a rate per year (moving average over a year)
};
const IndicatorSpec& indicator_spec(Indicator indicator);

// An indicator for steps [0, steps) of one run, in one region (-1 = all).
// Flows shown per year are averaged over the past year (fewer steps at the
// start) and multiplied by the steps in a year, so a rate does not seem to
// grow while the first year fills; before a quarter of a year has passed
// they are NaN (too few steps to say).
std::vector<double> indicator_series(const Series& series, std::size_t steps, Indicator indicator, int region,
                                     double step_days);

// Where a region's people are at one step. Free people are counted by home
// region, everyone else where they are (transit destination, place of
// exploitation, shelter), as the model reports them.
struct RegionPopulation {
  double free = 0;
  double recruited = 0;                    // recruited, not yet exploited (in transit)
  std::array<double, kForms> exploited{};  // by form
  double in_protection = 0;
  double shelter_places = 0;
  double trafficked() const;  // recruited + exploited + in protection
};
RegionPopulation population_in(const FrameLayout& layout, std::span<const double> frame, std::size_t region);

// People trafficked across a border, by route and form: (origin,
// destination, form) counts of persons recruited in `origin` who are in
// transit to or exploited in `destination`.
struct RouteFlows {
  std::size_t regions = 0;
  std::vector<double> count;  // regions x regions x kForms

  explicit RouteFlows(std::size_t region_count = 0)
      : regions(region_count), count(region_count * region_count * kForms, 0.0) {}
  double& at(std::size_t origin, std::size_t destination, std::size_t form) {
    return count[(origin * regions + destination) * kForms + form];
  }
  double at(std::size_t origin, std::size_t destination, std::size_t form) const {
    return count[(origin * regions + destination) * kForms + form];
  }
  double total(std::size_t origin, std::size_t destination) const;
  double largest_route_total() const;  // over origin != destination
};

// Counted from the live world: every person recruited or exploited outside
// their home region.
RouteFlows count_route_flows(const State& world);

// Estimated from the metrics, for run files, which hold no
// origin-destination counts: the persons exploited abroad in each
// destination, split over the routes into it in proportion to route share
// times the recruitments so far in the origin (`recruited_so_far`, one per
// region), and over forms in proportion to the destination's exploitation
// by form.
RouteFlows estimate_route_flows(const Scenario& scenario, const FrameLayout& layout,
                                std::span<const double> frame, std::span<const double> recruited_so_far);

// Recruitments by home region summed over steps [0, through_step].
std::vector<double> recruitments_so_far(const Series& series, std::size_t through_step);

// Form names for people: "sexual exploitation", "forced labour", ...
std::string_view form_title(std::size_t form);

}  // namespace tipsim::viz

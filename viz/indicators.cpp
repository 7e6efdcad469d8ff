#include "indicators.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tipsim::viz {

namespace {

constexpr std::size_t index_of(PersonState s) { return static_cast<std::size_t>(s); }

constexpr std::array<IndicatorSpec, kIndicatorCount> kIndicators = {{
    {Indicator::Exploited, "people in exploitation (true)", Metric::exploited_by_form, -1, false},
    {Indicator::IdentifiedPerYear, "victims identified per year", Metric::identified_by_form, -1, true},
    {Indicator::ProsecutionsPerYear, "prosecutions per year", Metric::prosecutions, -1, true},
    {Indicator::ConvictionsPerYear, "convictions per year", Metric::convictions, -1, true},
    {Indicator::TraffickersActive, "active traffickers", Metric::traffickers_active, -1, false},
    {Indicator::TraffickersInPrison, "traffickers in prison", Metric::traffickers_incarcerated, -1, false},
    {Indicator::ShelterOccupied, "people in shelters", Metric::persons_by_state,
     static_cast<int>(index_of(PersonState::InProtection)), false},
    {Indicator::ShelterPlaces, "shelter places", Metric::shelter_capacity, -1, false},
}};

}  // namespace

double frame_value(const FrameLayout& layout, std::span<const double> frame, Metric m, int region,
                   int category) {
  const std::size_t categories = axis_size(spec(m).axis);
  double sum = 0;
  for (std::size_t r = 0; r < layout.regions(); ++r) {
    if (region >= 0 && static_cast<std::size_t>(region) != r) continue;
    for (std::size_t c = 0; c < categories; ++c) {
      if (category >= 0 && static_cast<std::size_t>(category) != c) continue;
      sum += frame[layout.index(m, r, c)];
    }
  }
  return sum;
}

const IndicatorSpec& indicator_spec(Indicator indicator) {
  return kIndicators[static_cast<std::size_t>(indicator)];
}

std::vector<double> indicator_series(const Series& series, std::size_t steps, Indicator indicator, int region,
                                     double step_days) {
  const IndicatorSpec& is = indicator_spec(indicator);
  steps = std::min(steps, series.steps());
  std::vector<double> out(steps);
  for (std::size_t s = 0; s < steps; ++s)
    out[s] = frame_value(series.layout(), series.frame(s), is.metric, region, is.category);
  if (!is.per_year) return out;
  const double steps_per_year = 365.0 / step_days;
  const auto window = static_cast<std::size_t>(std::max(1.0, std::round(steps_per_year)));
  // Over fewer than a quarter of a year a rate is mostly noise: none is shown.
  const std::size_t shortest = std::max<std::size_t>(1, (window + 2) / 4);
  std::vector<double> rate(steps);
  double running = 0;
  for (std::size_t s = 0; s < steps; ++s) {
    running += out[s];
    if (s >= window) running -= out[s - window];
    const auto n = static_cast<double>(std::min(s + 1, window));
    rate[s] = s + 1 < shortest ? std::numeric_limits<double>::quiet_NaN() : running / n * steps_per_year;
  }
  return rate;
}

double RegionPopulation::trafficked() const {
  double sum = recruited + in_protection;
  for (double e : exploited) sum += e;
  return sum;
}

RegionPopulation population_in(const FrameLayout& layout, std::span<const double> frame, std::size_t region) {
  RegionPopulation p;
  const int r = static_cast<int>(region);
  p.free =
      frame_value(layout, frame, Metric::persons_by_state, r, static_cast<int>(index_of(PersonState::Free)));
  p.recruited = frame_value(layout, frame, Metric::persons_by_state, r,
                            static_cast<int>(index_of(PersonState::Recruited)));
  p.in_protection = frame_value(layout, frame, Metric::persons_by_state, r,
                                static_cast<int>(index_of(PersonState::InProtection)));
  for (std::size_t f = 0; f < kForms; ++f)
    p.exploited[f] = frame_value(layout, frame, Metric::exploited_by_form, r, static_cast<int>(f));
  p.shelter_places = frame_value(layout, frame, Metric::shelter_capacity, r);
  return p;
}

double RouteFlows::total(std::size_t origin, std::size_t destination) const {
  double sum = 0;
  for (std::size_t f = 0; f < kForms; ++f) sum += at(origin, destination, f);
  return sum;
}

double RouteFlows::largest_route_total() const {
  double largest = 0;
  for (std::size_t o = 0; o < regions; ++o)
    for (std::size_t d = 0; d < regions; ++d)
      if (o != d) largest = std::max(largest, total(o, d));
  return largest;
}

RouteFlows count_route_flows(const State& world) {
  RouteFlows flows(world.region_count());
  const Persons& p = world.persons;
  // Only people in `involved` can be anything but FREE.
  for (std::uint32_t i : world.involved) {
    const auto state = static_cast<PersonState>(p.state[i]);
    if (state != PersonState::Recruited && state != PersonState::Exploited) continue;
    if (p.home_region[i] == p.current_region[i] || p.market[i] == kNoMarket) continue;
    const auto form = static_cast<std::size_t>(form_of(static_cast<Market>(p.market[i])));
    flows.at(p.home_region[i], p.current_region[i], form) += 1;
  }
  return flows;
}

RouteFlows estimate_route_flows(const Scenario& scenario, const FrameLayout& layout,
                                std::span<const double> frame, std::span<const double> recruited_so_far) {
  const std::size_t regions = layout.regions();
  RouteFlows flows(regions);
  for (std::size_t d = 0; d < regions; ++d) {
    const double abroad = frame_value(layout, frame, Metric::exploited_abroad, static_cast<int>(d));
    if (abroad <= 0) continue;
    double weight_sum = 0, share_sum = 0;
    for (const RouteSpec& route : scenario.routes) {
      if (route.to != d || route.from == d) continue;
      const double recruited = route.from < recruited_so_far.size() ? recruited_so_far[route.from] : 0.0;
      weight_sum += route.share * recruited;
      share_sum += route.share;
    }
    if (share_sum <= 0) continue;
    std::array<double, kForms> by_form{};
    double form_sum = 0;
    for (std::size_t f = 0; f < kForms; ++f) {
      by_form[f] =
          frame_value(layout, frame, Metric::exploited_by_form, static_cast<int>(d), static_cast<int>(f));
      form_sum += by_form[f];
    }
    for (const RouteSpec& route : scenario.routes) {
      if (route.to != d || route.from == d) continue;
      const double recruited = route.from < recruited_so_far.size() ? recruited_so_far[route.from] : 0.0;
      // Before anyone is recruited, the routes' shares alone say where people come from.
      const double part = weight_sum > 0 ? route.share * recruited / weight_sum : route.share / share_sum;
      for (std::size_t f = 0; f < kForms; ++f) {
        const double form_part = form_sum > 0 ? by_form[f] / form_sum : 1.0 / kForms;
        flows.at(route.from, d, f) += abroad * part * form_part;
      }
    }
  }
  return flows;
}

std::vector<double> recruitments_so_far(const Series& series, std::size_t through_step) {
  const std::size_t regions = series.layout().regions();
  std::vector<double> out(regions, 0.0);
  const std::size_t last = std::min(through_step + 1, series.steps());
  for (std::size_t s = 0; s < last; ++s)
    for (std::size_t r = 0; r < regions; ++r)
      out[r] +=
          frame_value(series.layout(), series.frame(s), Metric::recruitments_by_method, static_cast<int>(r));
  return out;
}

std::string_view form_title(std::size_t form) {
  switch (static_cast<Form>(form)) {
    case Form::Sexual:
      return "sexual exploitation";
    case Form::Labour:
      return "forced labour";
    case Form::DomesticServitude:
      return "domestic servitude";
    case Form::ForcedCriminality:
      return "forced criminality";
  }
  return "";
}

}  // namespace tipsim::viz

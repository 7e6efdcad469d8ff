#include "replay_run.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "run_file.hpp"
#include "scenario_loader.hpp"

namespace tipsim::viz {

using output::FormatError;

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double position = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  const double t = position - static_cast<double>(below);
  return values[below] + t * (values[above] - values[below]);
}

Band quantile_band(std::span<const std::vector<double>> runs) {
  Band band;
  if (runs.empty()) return band;
  std::size_t steps = runs[0].size();
  for (const auto& r : runs) steps = std::min(steps, r.size());
  band.low.resize(steps);
  band.median.resize(steps);
  band.high.resize(steps);
  std::vector<double> at_step(runs.size());
  for (std::size_t s = 0; s < steps; ++s) {
    for (std::size_t r = 0; r < runs.size(); ++r) at_step[r] = runs[r][s];
    band.low[s] = quantile(at_step, 0.1);
    band.median[s] = quantile(at_step, 0.5);
    band.high[s] = quantile(at_step, 0.9);
  }
  return band;
}

namespace {

// A scenario for display when the file's resolved TOML cannot be loaded
// (a newer tipsim's keys, say): names, regions, routes and map positions
// from the file's tables.
Scenario scenario_from_tables(const output::RunFileContents& c) {
  Scenario s = default_scenario();
  s.name = c.text("scenario_name");
  s.description = c.text("summary");
  if (const double steps = c.number("steps"); std::isfinite(steps)) s.globals[Param::scenario_steps] = steps;
  if (const double days = c.number("step_days"); std::isfinite(days))
    s.globals[Param::scenario_step_days] = days;
  if (const double size = c.number("population_size"); std::isfinite(size))
    s.globals[Param::population_size] = size;
  if (const double scale = c.number("population_scale"); std::isfinite(scale) && scale > 0)
    s.globals[Param::population_scale] = scale;
  const RegionSpec world = s.regions.empty() ? RegionSpec{} : s.regions[0];
  s.regions.clear();
  for (std::size_t r = 0; r < c.region_names.size(); ++r) {
    RegionSpec region = world;
    region.name = c.region_names[r];
    for (std::size_t k = 0; k < c.regional_keys.size(); ++k)
      if (const ParamSpec* p = find_param(c.regional_keys[k]))
        region.values[p->id] = c.regional_values[r * c.regional_keys.size() + k];
    s.regions.push_back(region);
  }
  for (const output::RouteRow& row : c.routes) {
    const std::int32_t from = s.region_index(row.origin), to = s.region_index(row.destination);
    if (from < 0 || to < 0) continue;
    s.routes.push_back(
        {static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(to), row.share, row.transit_days});
  }
  return s;
}

}  // namespace

ReplayRun::ReplayRun(const std::string& path) : path_(path) {
  output::RunFileContents c = output::read_run_file(path);
  points_ = c.dimension("point");
  replicates_ = c.dimension("replicate");
  steps_ = static_cast<std::int32_t>(c.dimension("step"));
  regions_ = c.dimension("region");
  if (points_ == 0 || replicates_ == 0 || steps_ == 0 || regions_ == 0)
    throw FormatError(
        path + ": the run file holds no series (a dimension point, replicate, step or region is empty)");
  command_line_ = c.text("command_line");
  created_ = c.text("created");
  if (const double days = c.number("step_days"); std::isfinite(days) && days > 0) step_days_ = days;

  for (std::size_t p = 0; p < points_; ++p) {
    const std::string& toml = p < c.point_resolved_toml.size() ? c.point_resolved_toml[p] : c.resolved_toml;
    try {
      scenarios_.push_back(load_scenario_text(toml, path + " (scenario/resolved_toml)"));
    } catch (const ScenarioError&) {
      scenarios_.push_back(scenario_from_tables(c));
    }
    // The file's own axes are the truth for what the series hold.
    Scenario& s = scenarios_.back();
    if (s.regions.size() != regions_) s = scenario_from_tables(c);
    s.globals[Param::scenario_steps] = steps_;
  }

  const FrameLayout layout(regions_);
  series_.assign(points_ * replicates_, Series(layout, static_cast<std::size_t>(steps_)));
  const auto steps = static_cast<std::size_t>(steps_);
  for (const MetricSpec& m : metric_table()) {
    const output::Variable* v = c.find_series(m.name);
    if (v == nullptr) {
      missing_.emplace_back(m.name);
      continue;
    }
    const std::size_t categories = axis_size(m.axis);
    std::vector<std::size_t> expected = {points_, replicates_, steps, regions_};
    if (m.axis != Axis::None) expected.push_back(categories);
    if (v->shape != expected || v->values.size() != points_ * replicates_ * steps * regions_ * categories)
      throw FormatError(path + ": series '" + std::string(m.name) +
                        "' does not have the shape (point, replicate, step, region" +
                        (m.axis != Axis::None ? ", " + std::string(axis_name(m.axis)) : std::string()) +
                        ") this viewer reads");
    const double* value = v->values.data();
    for (std::size_t run = 0; run < points_ * replicates_; ++run) {
      for (std::size_t s = 0; s < steps; ++s) {
        auto frame = series_[run].frame(s);
        const std::size_t offset = layout.offset(m.id);
        // The file's (region, category) order is the frame's order.
        std::copy_n(value, regions_ * categories, frame.begin() + static_cast<std::ptrdiff_t>(offset));
        value += regions_ * categories;
      }
    }
  }

  // The viewer shows real people: every point's counts times its scale.
  for (std::size_t run = 0; run < series_.size(); ++run) {
    const double scale = scenarios_.at(run / replicates_).get(Param::population_scale);
    for (std::size_t s = 0; s < steps; ++s) to_real_units(layout, series_[run].frame(s), scale);
  }

  // Cumulative recruitments by origin, for the route flow estimate.
  recruited_.resize(series_.size());
  for (std::size_t run = 0; run < series_.size(); ++run) {
    std::vector<double>& cumulative = recruited_[run];
    cumulative.assign(steps * regions_, 0.0);
    for (std::size_t s = 0; s < steps; ++s)
      for (std::size_t r = 0; r < regions_; ++r)
        cumulative[s * regions_ + r] =
            (s > 0 ? cumulative[(s - 1) * regions_ + r] : 0.0) +
            frame_value(layout, series_[run].frame(s), Metric::recruitments_by_method, static_cast<int>(r));
  }
}

std::vector<double> ReplayRun::indicator(std::size_t point, std::size_t replicate, Indicator which,
                                         int region) const {
  return indicator_series(series(point, replicate), static_cast<std::size_t>(steps_), which, region,
                          step_days_);
}

Band ReplayRun::indicator_band(std::size_t point, Indicator which, int region) const {
  std::vector<std::vector<double>> runs;
  for (std::size_t r = 0; r < replicates_; ++r) runs.push_back(indicator(point, r, which, region));
  return quantile_band(runs);
}

std::vector<double> ReplayRun::frame(std::size_t point, int replicate, std::int32_t step) const {
  const auto s = static_cast<std::size_t>(std::clamp(step, 0, steps_ - 1));
  if (replicate >= 0) {
    const auto f = series(point, static_cast<std::size_t>(replicate)).frame(s);
    return {f.begin(), f.end()};
  }
  const std::size_t size = series(point, 0).layout().size();
  std::vector<double> out(size);
  std::vector<double> values(replicates_);
  for (std::size_t i = 0; i < size; ++i) {
    for (std::size_t r = 0; r < replicates_; ++r) values[r] = series(point, r).frame(s)[i];
    out[i] = quantile(values, 0.5);
  }
  return out;
}

RouteFlows ReplayRun::route_flows(std::size_t point, int replicate, std::int32_t step) const {
  const auto s = static_cast<std::size_t>(std::clamp(step, 0, steps_ - 1));
  const FrameLayout& layout = series(point, 0).layout();
  auto one = [&](std::size_t r) {
    const std::size_t run = point * replicates_ + r;
    const std::span<const double> recruited(recruited_[run].data() + s * regions_, regions_);
    return estimate_route_flows(scenario(point), layout, series_[run].frame(s), recruited);
  };
  if (replicate >= 0) return one(static_cast<std::size_t>(replicate));
  std::vector<RouteFlows> all;
  for (std::size_t r = 0; r < replicates_; ++r) all.push_back(one(r));
  RouteFlows median(regions_);
  std::vector<double> values(replicates_);
  for (std::size_t i = 0; i < median.count.size(); ++i) {
    for (std::size_t r = 0; r < replicates_; ++r) values[r] = all[r].count[i];
    median.count[i] = quantile(values, 0.5);
  }
  return median;
}

}  // namespace tipsim::viz

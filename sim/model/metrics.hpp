// The per-step metrics every run reports, their categorical axes, and the
// per-run summaries derived from them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "params.hpp"

namespace tipsim {

// Categorical axes of the series; each one's labels stand beside its enum
// in state.hpp.
enum class Axis : std::uint8_t {
  None,
  State,
  Form,
  Market,
  Method,
  Channel,
  CaseType,
  Pillar,
  Adjacent,
  Record,
  Exit,
  Pathway,
  Followup
};
enum class Nature : std::uint8_t { Stock, Flow };
enum class ValueType : std::uint8_t { Count, Amount };
// What a number counts: agents (multiply by population.scale for real
// people; series only), real people or cases (summaries and effects), real
// USD (never divided by the scale), or a figure the same at any scale
// (rates, shares, scores).
enum class Basis : std::uint8_t { Agents, People, Usd, Invariant };
// "agents", "people", "USD" or "none": the `basis` attribute of run files.
std::string_view basis_label(Basis basis);

// Two layers, never confused: what exists vs what agencies observe.
enum class Layer : std::uint8_t { True, Observed, Policy };
// "true", "observed" or "policy": the layer as run files and docs name it.
std::string_view layer_label(Layer layer);

std::span<const std::string_view> axis_labels(Axis axis);
std::string_view axis_name(Axis axis);  // the dimension name in run files, e.g. "state"
inline std::size_t axis_size(Axis axis) { return axis == Axis::None ? 1 : axis_labels(axis).size(); }

enum class Metric : std::uint16_t {
#define TIPSIM_METRIC(id, name, layer, axis, nature, type, basis, units, long_name) id,
#include "metrics.def"
#undef TIPSIM_METRIC
};

inline constexpr std::size_t kMetricCount = 0
#define TIPSIM_METRIC(id, name, layer, axis, nature, type, basis, units, long_name) +1
#include "metrics.def"
#undef TIPSIM_METRIC
    ;

struct MetricSpec {
  Metric id;
  std::string_view name;
  Axis axis;
  Nature nature;
  ValueType type;
  std::string_view units;
  std::string_view long_name;
  Layer layer;
  Basis basis;
};

const std::array<MetricSpec, kMetricCount>& metric_table();
inline const MetricSpec& spec(Metric m) { return metric_table()[static_cast<std::size_t>(m)]; }

// Where each metric sits in a flat frame of one step's values for a given
// number of regions: metric m occupies [offset(m), offset(m) + regions *
// axis_size) laid out region-major.
class FrameLayout {
 public:
  explicit FrameLayout(std::size_t regions = 1);
  std::size_t regions() const { return regions_; }
  std::size_t size() const { return size_; }
  std::size_t offset(Metric m) const { return offset_[static_cast<std::size_t>(m)]; }
  std::size_t index(Metric m, std::size_t region, std::size_t category = 0) const {
    return offset(m) + region * categories_[static_cast<std::size_t>(m)] + category;
  }
  std::size_t width(Metric m) const { return regions_ * categories_[static_cast<std::size_t>(m)]; }

 private:
  std::size_t regions_;
  std::size_t size_ = 0;
  std::array<std::size_t, kMetricCount> offset_{};
  // axis_size of each metric's axis, kept here: the phases index the frame
  // once or more per person they act on.
  std::array<std::size_t, kMetricCount> categories_{};
};

// All per-step frames of one replicate: steps x frame, row-major.
class Series {
 public:
  Series() = default;
  Series(const FrameLayout& layout, std::size_t steps)
      : layout_(layout), steps_(steps), data_(steps * layout.size()) {}
  const FrameLayout& layout() const { return layout_; }
  std::size_t steps() const { return steps_; }
  std::span<double> frame(std::size_t step) { return {data_.data() + step * layout_.size(), layout_.size()}; }
  std::span<const double> frame(std::size_t step) const {
    return {data_.data() + step * layout_.size(), layout_.size()};
  }
  double at(std::size_t step, Metric m, std::size_t region, std::size_t category = 0) const {
    return data_[step * layout_.size() + layout_.index(m, region, category)];
  }
  // Sum over regions and categories of metric m at one step.
  double total(std::size_t step, Metric m) const;
  // Sum over regions of category c of metric m at one step.
  double total(std::size_t step, Metric m, std::size_t category) const;
  // Copies metric m for all steps into out: shape (steps, regions[, axis]).
  void extract(Metric m, std::vector<double>& out) const;
  const std::vector<double>& data() const { return data_; }

 private:
  FrameLayout layout_;
  std::size_t steps_ = 0;
  std::vector<double> data_;
};

// One step's frame in real units: the counts of agents (Basis::Agents)
// times the real people per agent; money and scale-free figures as they
// are. For people who read the frame (the viewer), never for the model.
void to_real_units(const FrameLayout& layout, std::span<double> frame, double population_scale);

// Per-run summary figures derived from a replicate's series after the
// burn-in: what the CLI prints and what run files hold under summary/.
// Every figure is in real units: counts of agents are multiplied by
// population_scale (real people per agent), money is real USD already.
struct SummarySpec {
  std::string_view name;
  std::string_view units;
  std::string_view long_name;
  Layer layer;
  Basis basis;
};
std::span<const SummarySpec> summary_table();

// The weights of the harm-weighted outcome (the scenario's harm.* keys):
// quality of life lost in exploitation by form, by survivors not recovered
// and by victims punished, and the money value of a QALY. They weigh the
// simulated events; they never change them.
struct HarmWeights {
  double usd_per_qaly = 0;
  std::array<double, 4> qaly_loss_per_year_by_form{};  // in Form order
  double qaly_loss_recovering_per_year = 0;
  double qaly_loss_punishment = 0;
};
HarmWeights harm_weights(const Scenario& scenario);

// One value per summary_table() row, in real people and real USD.
std::vector<double> summarize(const Series& series, std::size_t burn_in_steps, double step_years,
                              double population_scale, const HarmWeights& harm);
// The same with the scenario's burn-in, step, scale and harm weights.
std::vector<double> summarize(const Series& series, const Scenario& scenario);

}  // namespace tipsim

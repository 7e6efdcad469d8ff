// Parameter sweeps: the --vary flags of `tipsim sweep`, the full grid of
// their values, and reading a varied key's value back from a scenario.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "params.hpp"

namespace tipsim {

// The location that --vary problems are reported at (ScenarioIssue::where).
inline constexpr std::string_view kVarySource = "--vary";

// One --vary flag: a scenario key and the values it takes, in order.
struct VaryAxis {
  std::string key;                  // as given: a scenario key, or region.NAME.KEY
  std::vector<std::string> values;  // TOML value texts, as a --set would take them
  std::string definition;           // the argument as given, "KEY=LO:HI:N" or "KEY=V1,V2,..."
};

// Parses "KEY=LO:HI:N" (N evenly spaced values from LO to HI, both
// included; whole numbers for whole-number keys) or "KEY=V1,V2,..." (the
// values as listed). Values are not range-checked here: the scenario loader
// checks each point like any --set. Throws ScenarioError for a malformed
// argument, a range of a true/false or text key, or a key that every point
// of one file must share (steps, step length, replicates).
VaryAxis parse_vary(const std::string& argument);

// Every point of the full grid of the axes, in order: the first axis
// varies slowest. Each point is one "KEY=VALUE" override per axis. Throws
// ScenarioError when two axes vary the same key or the grid is too large.
std::vector<std::vector<std::string>> sweep_grid(const std::vector<VaryAxis>& axes);

// A scenario key as it names one value of a resolved scenario.
struct KeyRef {
  const ParamSpec* param = nullptr;  // null: not a scenario key
  std::int32_t region = -1;          // region index for region.NAME.KEY; -1 = the world value
};
// Resolves KEY or region.NAME.KEY against a scenario's regions.
KeyRef find_key(const Scenario& scenario, std::string_view key);
// The resolved value a key names (text keys: 0; see key_text()).
double key_value(const Scenario& scenario, const KeyRef& ref);
// The resolved text of scenario.name or scenario.description.
std::string key_text(const Scenario& scenario, const KeyRef& ref);

// "KEY*" varies a factor (--scale) rather than a value: the factor applied
// to the world value and every region's value of KEY.
inline bool is_scale_axis(std::string_view key) { return key.ends_with('*'); }
// The factor a scale axis had at a point, from the point's overrides (the
// last "KEY*=FACTOR"); NaN when it has none.
double scale_factor(const Scenario& point, std::string_view key);

}  // namespace tipsim

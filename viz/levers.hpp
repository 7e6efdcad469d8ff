// The policy levers a trainer can move: every regional `policy.*` key of
// the parameter table, grouped by P (prosecution, protection, prevention,
// partnership), with a readable name and a slider range.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "params.hpp"
#include "state.hpp"

namespace tipsim::viz {

struct Lever {
  Param param;
  Pillar pillar;
  std::string label;  // "shelter beds per 100k", from the key
  bool is_switch;     // a Boolean key: a checkbox, not a slider
};

// Every regional policy lever, in parameter-table order (so grouped by P).
const std::vector<Lever>& policy_levers();
// The levers of one P.
std::vector<const Lever*> levers_of(Pillar pillar);
// "Prosecution", "Protection", "Prevention", "Partnership".
std::string_view pillar_title(Pillar pillar);

// A readable name from a dotted key: its last part with underscores as
// spaces and "per_100k" kept short, first letter in capitals:
// "policy.protection.shelter_beds_per_100k" -> "Shelter beds per 100k".
std::string lever_label(std::string_view key);

// The range a slider offers. Parameter bounds can be far wider than any
// policy a trainer would try (investigators up to 10 000 per 100 000), so
// an open-ended lever gets [min, a round number at least 4 times the
// default and twice the largest value the scenario uses]; a lever bounded
// at 1 or below keeps its bounds.
struct SliderRange {
  double lo = 0;
  double hi = 1;
};
SliderRange slider_range(const ParamSpec& spec, double largest_in_scenario);

// The largest value of a lever over the scenario's regions, its world
// default and what its interventions set it to, for slider_range().
double largest_value(const Scenario& scenario, Param param);

}  // namespace tipsim::viz

// What each lever costs: the table every spending figure, test and doc
// iterates. Costs are real USD at United States prices, multiplied by the
// region's price level (cost.price_level) where the money is spent.
#pragma once

#include <span>

#include "params.hpp"
#include "state.hpp"

namespace tipsim {

// A lever whose cost per year is lever value x unit cost x price level x
// real people / 100 000 x per_unit_cost: the lever is a rate per 100 000
// people (investigators), a level in [0, 1] priced per 100 000 people at
// level 1 (the hotline) or a share of the people reached a year, priced per
// person (campaigns: per_unit_cost = 100 000).
struct LeverCost {
  Param lever;
  Param unit_cost;
  double per_unit_cost;
  Pillar pillar;
  bool bought_by_budget;  // in budget mode the budget buys it and pays for it
};

// Every costed lever, in pillar order. Two costs are paid per event, not per
// lever: each prosecution (cost.prosecution_usd, phase_prosecution.cpp) and
// each person-year in protection at the service quality
// (cost.services_usd_per_person_year, phase_protection.cpp).
std::span<const LeverCost> lever_costs();

// The cost per year, in real USD, of one lever at the levers `lv` for a
// region of `people` real people.
double lever_cost_per_year(const Scenario& s, const LeverCost& cost, const ParamValues& lv, double people);

}  // namespace tipsim

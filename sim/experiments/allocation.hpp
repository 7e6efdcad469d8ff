// Where the next dollar should go (tipsim allocate): an added yearly budget
// split over targets (the four Ps, or named levers), every split of a
// lattice on the simplex at several budget levels, each an arm of a paired
// comparison with the scenario as it is.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "comparison.hpp"
#include "params.hpp"

namespace tipsim {

// What money can go to: a pillar (its money split over the levers the
// budget buys, by the budget's within-pillar weights) or one lever.
struct AllocationTarget {
  std::string name;                              // "PROSECUTION", ... or the lever's key
  std::vector<std::pair<Param, double>> levers;  // lever and its share of the target's money
};

// The four Ps, in pillar order, with the scenario's within-pillar weights.
std::vector<AllocationTarget> pillar_targets(const Scenario& scenario);

// One lever as a target. Throws std::invalid_argument naming the levers
// that have a unit cost when `key` is not one of them, or is a switch.
AllocationTarget lever_target(const std::string& key);

// Every split of one unit over `targets` in steps of 1/resolution, in
// lexicographic order of the weights (the first target's share falls
// slowest), and the even split at the end when the lattice lacks it.
std::vector<std::vector<double>> simplex_lattice(std::size_t targets, int resolution);

// The scenario with `usd_per_year` more, split by `weights` over
// `targets`: in every region the same money per 100 000 real people, buying
// each lever's units at the region's prices (cost.price_level), added to
// the levers from the first step to the last (an [intervention.add] per
// region, after the scenario's own interventions). Spending rises by the
// money, except where a lever reaches its maximum.
Scenario with_added_budget(const Scenario& base, const std::vector<AllocationTarget>& targets,
                           std::span<const double> weights, double usd_per_year);

// The result at one budget level: the best split and how sure we are of it.
struct AllocationLevel {
  double budget = 0;                        // USD per year
  std::size_t best_arm = 0;                 // arm (point) index of the best split
  std::size_t even_arm = 0;                 // arm of the even split (the best when there is none)
  EffectEstimate best_averted;              // victim-years averted by the best split, against the baseline
  EffectEstimate best_harm_averted;         // QALYs of harm averted by the best split, against the baseline
  EffectEstimate best_minus_even;           // paired objective, best minus even
  double probability_better_than_even = 0;  // share of pairs in which best averts more than even
};

// `runs[arm][replicate]` the summaries (arm 0 the baseline), `budgets[arm]`
// and `weights[arm]` each arm's budget level and split (arm 0: none). The
// best split maximises the mean outcome averted (victim-years, or QALYs of
// harm), or with `value_per_victim_year` > 0 (USD per unit of the outcome)
// the mean net monetary benefit.
std::vector<AllocationLevel> allocation_frontier(std::span<const std::vector<std::vector<double>>> runs,
                                                 std::span<const double> budgets,
                                                 std::span<const std::vector<double>> weights,
                                                 double value_per_victim_year = 0,
                                                 Averted outcome = Averted::VictimYears);

}  // namespace tipsim

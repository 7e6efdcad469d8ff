#include "allocation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "costs.hpp"
#include "metrics.hpp"
#include "state.hpp"

namespace tipsim {

namespace {

const LeverCost* cost_of(Param lever) {
  for (const LeverCost& c : lever_costs())
    if (c.lever == lever) return &c;
  return nullptr;
}

std::size_t summary_row(std::string_view name) {
  const auto table = summary_table();
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].name == name) return i;
  throw std::logic_error("allocation: no summary " + std::string(name));
}

// Weights normalised to shares (all zero: nothing).
std::vector<std::pair<Param, double>> shares(const Scenario& s,
                                             std::initializer_list<std::pair<Param, Param>> w) {
  double sum = 0;
  for (const auto& [lever, weight] : w) sum += s.get(weight);
  std::vector<std::pair<Param, double>> out;
  for (const auto& [lever, weight] : w) out.emplace_back(lever, sum > 0 ? s.get(weight) / sum : 0.0);
  return out;
}

void add_split(std::size_t targets, int resolution, int left, std::vector<double>& prefix,
               std::vector<std::vector<double>>& out) {
  if (prefix.size() + 1 == targets) {
    prefix.push_back(static_cast<double>(left) / resolution);
    out.push_back(prefix);
    prefix.pop_back();
    return;
  }
  for (int k = left; k >= 0; --k) {
    prefix.push_back(static_cast<double>(k) / resolution);
    add_split(targets, resolution, left - k, prefix, out);
    prefix.pop_back();
  }
}

}  // namespace

std::vector<AllocationTarget> pillar_targets(const Scenario& s) {
  std::vector<AllocationTarget> out(kPillars);
  for (std::size_t p = 0; p < kPillars; ++p) out[p].name = kPillarLabels[p];
  out[0].levers = {{Param::policy_prosecution_investigators_per_100k, 1.0}};
  out[1].levers = shares(
      s, {{Param::policy_protection_shelter_beds_per_100k, Param::budget_protection_share_shelter},
          {Param::policy_protection_labour_inspectors_per_100k, Param::budget_protection_share_inspection},
          {Param::policy_protection_outreach_workers_per_100k, Param::budget_protection_share_outreach}});
  out[2].levers =
      shares(s, {{Param::policy_prevention_awareness_reach, Param::budget_prevention_share_awareness},
                 {Param::policy_prevention_empowerment_reach, Param::budget_prevention_share_empowerment}});
  out[3].levers = {{Param::policy_partnership_level, 1.0}};
  return out;
}

AllocationTarget lever_target(const std::string& key) {
  const ParamSpec* s = find_param(key);
  const LeverCost* cost = s != nullptr ? cost_of(s->id) : nullptr;
  if (cost == nullptr || s->kind == ParamKind::Boolean) {
    std::string levers;
    for (const LeverCost& c : lever_costs())
      if (spec(c.lever).kind != ParamKind::Boolean)
        levers += (levers.empty() ? "" : ", ") + std::string(spec(c.lever).key);
    throw std::invalid_argument("'" + key + "' " +
                                (s == nullptr ? std::string("is not a scenario key")
                                 : s->kind == ParamKind::Boolean
                                     ? std::string("is a switch: money cannot buy part of it")
                                     : std::string("is not a lever with a unit cost")) +
                                "; --over takes a lever money buys more of: " + levers);
  }
  return AllocationTarget{key, {{s->id, 1.0}}};
}

std::vector<std::vector<double>> simplex_lattice(std::size_t targets, int resolution) {
  std::vector<std::vector<double>> out;
  if (targets == 0 || resolution < 1) return out;
  std::vector<double> prefix;
  add_split(targets, resolution, resolution, prefix, out);
  const std::vector<double> even(targets, 1.0 / static_cast<double>(targets));
  const bool has_even = std::any_of(out.begin(), out.end(), [&](const std::vector<double>& w) {
    for (std::size_t i = 0; i < targets; ++i)
      if (std::abs(w[i] - even[i]) > 1e-12) return false;
    return true;
  });
  if (!has_even) out.push_back(even);
  return out;
}

Scenario with_added_budget(const Scenario& base, const std::vector<AllocationTarget>& targets,
                           std::span<const double> weights, double usd_per_year) {
  Scenario s = base;
  const double people = s.get(Param::population_size) * s.get(Param::population_scale);
  // Money per 100 000 real people per year, the same in every region.
  const double per_100k = people > 0 ? usd_per_year / people * 1e5 : 0.0;
  for (std::size_t r = 0; r < s.regions.size(); ++r) {
    InterventionSpec iv;
    iv.name = "allocation";
    iv.start_step = 0;
    iv.end_step = s.steps();
    iv.region = static_cast<std::int32_t>(r);
    const double price = s.regions[r].values[Param::cost_price_level];
    for (std::size_t t = 0; t < targets.size() && t < weights.size(); ++t) {
      for (const auto& [lever, share] : targets[t].levers) {
        const LeverCost* cost = cost_of(lever);
        const double unit = cost != nullptr ? s.get(cost->unit_cost) * price * cost->per_unit_cost : 0.0;
        const double money = per_100k * weights[t] * share;
        if (money <= 0 || unit <= 0) continue;
        iv.changes.push_back(LeverChange{lever, LeverOp::Add, money / unit});
      }
    }
    if (!iv.changes.empty()) s.interventions.push_back(std::move(iv));
  }
  return s;
}

std::vector<AllocationLevel> allocation_frontier(std::span<const std::vector<std::vector<double>>> runs,
                                                 std::span<const double> budgets,
                                                 std::span<const std::vector<double>> weights,
                                                 double value_per_victim_year, Averted outcome) {
  const std::size_t victim_years = summary_row("victim_years"), harm = summary_row("harm_qalys");
  const std::size_t spending = summary_row("spending_total");
  const std::size_t n = runs.empty() ? 0 : runs.front().size();
  // Per arm and pair: victim-years and harm averted, and the objective on
  // the chosen outcome.
  std::vector<std::vector<double>> averted(runs.size(), std::vector<double>(n)), harm_averted = averted,
                                                                                 objective = averted;
  for (std::size_t a = 0; a < runs.size(); ++a) {
    for (std::size_t r = 0; r < n; ++r) {
      averted[a][r] = runs[0][r].at(victim_years) - runs[a][r].at(victim_years);
      harm_averted[a][r] = runs[0][r].at(harm) - runs[a][r].at(harm);
      const double outcome_averted = outcome == Averted::Harm ? harm_averted[a][r] : averted[a][r];
      const double extra = runs[a][r].at(spending) - runs[0][r].at(spending);
      objective[a][r] =
          value_per_victim_year > 0 ? value_per_victim_year * outcome_averted - extra : outcome_averted;
    }
  }
  auto mean = [&](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? kUndefined : sum / static_cast<double>(v.size());
  };
  std::vector<double> levels;
  for (std::size_t a = 1; a < budgets.size(); ++a)
    if (std::find(levels.begin(), levels.end(), budgets[a]) == levels.end()) levels.push_back(budgets[a]);
  std::sort(levels.begin(), levels.end());
  std::vector<AllocationLevel> out;
  for (double level : levels) {
    AllocationLevel l;
    l.budget = level;
    bool first = true;
    bool have_even = false;
    for (std::size_t a = 1; a < runs.size() && a < budgets.size(); ++a) {
      if (budgets[a] != level) continue;
      if (first || mean(objective[a]) > mean(objective[l.best_arm])) l.best_arm = a;
      first = false;
      const std::vector<double>& w = weights[a];
      const bool even = std::all_of(w.begin(), w.end(), [&](double x) {
        return std::abs(x - 1.0 / static_cast<double>(w.size())) < 1e-12;
      });
      if (even) l.even_arm = a, have_even = true;
    }
    if (!have_even) l.even_arm = l.best_arm;
    l.best_averted = t_interval(averted[l.best_arm]);
    l.best_harm_averted = t_interval(harm_averted[l.best_arm]);
    std::vector<double> difference(n);
    std::size_t better = 0;
    for (std::size_t r = 0; r < n; ++r) {
      difference[r] = objective[l.best_arm][r] - objective[l.even_arm][r];
      better += difference[r] > 0;
    }
    l.best_minus_even = t_interval(difference);
    l.probability_better_than_even =
        n > 0 ? static_cast<double>(better) / static_cast<double>(n) : kUndefined;
    out.push_back(l);
  }
  return out;
}

}  // namespace tipsim

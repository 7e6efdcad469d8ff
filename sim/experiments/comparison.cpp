#include "comparison.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "metrics.hpp"

namespace tipsim {

namespace {

constexpr EffectSpec kEffects[] = {
    {"victim_years_averted", "victim-years of exploitation averted", "victim_years",
     EffectSign::BaselineMinusArm, "person-years",
     "person-years of exploitation averted (baseline minus arm)", Basis::People},
    {"victims_identified", "victims identified", "identified", EffectSign::ArmMinusBaseline, "persons",
     "change in victims identified (arm minus baseline)", Basis::People},
    {"prosecutions", "prosecutions", "prosecutions", EffectSign::ArmMinusBaseline, "cases",
     "change in suspects charged (arm minus baseline)", Basis::People},
    {"convictions", "convictions", "convictions", EffectSign::ArmMinusBaseline, "cases",
     "change in defendants convicted (arm minus baseline)", Basis::People},
    {"traffickers_active_final", "active traffickers at the end", "traffickers_active_final",
     EffectSign::ArmMinusBaseline, "traffickers",
     "change in active traffickers at the last step (arm minus baseline)", Basis::People},
    {"spending", "anti-trafficking spending", "spending_total", EffectSign::ArmMinusBaseline, "USD",
     "extra anti-trafficking spending (arm minus baseline)", Basis::Usd},
    {"cost_per_victim_year_averted", "cost per victim-year averted", "victim_years",
     EffectSign::CostPerAverted, "USD per victim-year",
     "extra spending per person-year of exploitation averted", Basis::Usd},
    {"harm_averted", "harm averted (QALYs)", "harm_qalys", EffectSign::BaselineMinusArm, "QALY",
     "quality-adjusted life years lost to exploitation, unrecovered survival and punishment, averted "
     "(baseline minus arm)",
     Basis::People},
    {"harm_averted_usd", "harm averted (USD)", "harm_usd", EffectSign::BaselineMinusArm, "USD",
     "the harm-weighted outcome averted, valued at harm.usd_per_qaly (baseline minus arm)", Basis::Usd},
    {"survivor_years_recovering_averted", "survivor-years not recovered averted", "survivor_years_recovering",
     EffectSign::BaselineMinusArm, "person-years",
     "person-years survivors spent home not recovered, averted (baseline minus arm)", Basis::People},
    {"victims_punished", "victims punished", "victims_punished", EffectSign::ArmMinusBaseline, "persons",
     "change in victims punished as offenders (arm minus baseline)", Basis::People},
    {"cost_per_qaly_averted", "cost per QALY averted", "harm_qalys", EffectSign::CostPerAverted,
     "USD per QALY", "extra spending per quality-adjusted life year of harm averted", Basis::Usd},
};

constexpr AvertedSpec kAverted[] = {
    {"victim-years", "victim_years", "victim_years", "victim-year"},
    {"harm", "harm_qalys", "harm_qalys", "QALY"},
};

std::size_t summary_index(std::string_view name) {
  const auto table = summary_table();
  const auto it =
      std::find_if(table.begin(), table.end(), [&](const SummarySpec& s) { return s.name == name; });
  if (it == table.end()) throw std::logic_error("comparison: no summary figure '" + std::string(name) + "'");
  return static_cast<std::size_t>(it - table.begin());
}

double mean_of(std::span<const double> values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? kUndefined : sum / static_cast<double>(values.size());
}

// Half the width of the t-interval of a mean with this standard error.
double half_width(double standard_error, std::size_t n, double level) {
  if (n < 2) return kUndefined;
  if (standard_error == 0) return 0.0;
  const boost::math::students_t t(static_cast<double>(n - 1));
  return boost::math::quantile(t, 0.5 + level / 2) * standard_error;
}

// The ratio of mean differences with a delta-method t-interval: the
// t-interval of mean(dc - R de) over mean(de). NaN when mean(de) <= 0.
EffectEstimate ratio_of_means(const std::vector<double>& dc, const std::vector<double>& de) {
  const double mean_de = mean_of(de);
  if (dc.empty() || !(mean_de > 0)) return EffectEstimate{kUndefined, kUndefined, kUndefined};
  const double ratio = mean_of(dc) / mean_de;
  std::vector<double> residual(dc.size());
  for (std::size_t r = 0; r < dc.size(); ++r) residual[r] = dc[r] - ratio * de[r];
  const EffectEstimate spread = t_interval(residual);
  return EffectEstimate{ratio, ratio + (spread.ci_low - spread.mean) / mean_de,
                        ratio + (spread.ci_high - spread.mean) / mean_de};
}

}  // namespace

std::span<const EffectSpec> effect_table() { return kEffects; }

const AvertedSpec& outcome_spec(Averted outcome) { return kAverted[static_cast<std::size_t>(outcome)]; }

std::optional<Averted> outcome_named(std::string_view name) {
  for (std::size_t k = 0; k < std::size(kAverted); ++k)
    if (kAverted[k].option == name || kAverted[k].name == name) return static_cast<Averted>(k);
  return std::nullopt;
}

EffectEstimate t_interval(std::span<const double> values, double level) {
  EffectEstimate e;
  const std::size_t n = values.size();
  e.mean = mean_of(values);
  double squares = 0;
  for (double v : values) squares += (v - e.mean) * (v - e.mean);
  const double se =
      n > 1 ? std::sqrt(squares / static_cast<double>(n - 1) / static_cast<double>(n)) : kUndefined;
  const double h = half_width(se, n, level);
  e.ci_low = e.mean - h;
  e.ci_high = e.mean + h;
  return e;
}

ArmEffects paired_effects(std::span<const std::vector<double>> baseline,
                          std::span<const std::vector<double>> arm) {
  if (baseline.size() != arm.size())
    throw std::invalid_argument("comparison: the arms have different numbers of replicates");
  const std::size_t n = baseline.size();
  const std::size_t spending = summary_index("spending_total");
  ArmEffects out;
  std::vector<double> extra(n);
  for (std::size_t r = 0; r < n; ++r) extra[r] = arm[r].at(spending) - baseline[r].at(spending);
  for (const EffectSpec& effect : kEffects) {
    std::vector<double> values(n);
    EffectEstimate estimate;
    if (effect.sign == EffectSign::CostPerAverted) {
      const std::size_t outcome = summary_index(effect.summary);
      std::vector<double> averted(n);
      for (std::size_t r = 0; r < n; ++r) averted[r] = baseline[r].at(outcome) - arm[r].at(outcome);
      for (std::size_t r = 0; r < n; ++r) values[r] = averted[r] > 0 ? extra[r] / averted[r] : kUndefined;
      // Ratio of means, with the delta-method (linearised) interval.
      estimate = ratio_of_means(extra, averted);
    } else {
      const std::size_t index = summary_index(effect.summary);
      for (std::size_t r = 0; r < n; ++r)
        values[r] = effect.sign == EffectSign::BaselineMinusArm ? baseline[r].at(index) - arm[r].at(index)
                                                                : arm[r].at(index) - baseline[r].at(index);
      estimate = t_interval(values);
    }
    out.paired.push_back(std::move(values));
    out.estimate.push_back(estimate);
  }
  return out;
}

std::string_view frontier_label(Frontier f) {
  switch (f) {
    case Frontier::Efficient:
      return "frontier";
    case Frontier::Dominated:
      return "dominated";
    case Frontier::ExtendedlyDominated:
      return "extendedly dominated";
  }
  return "";
}

namespace {

// Per replicate pair, each arm's extra spending and outcome averted
// against the baseline: [arm][replicate].
struct PairedCostsAndEffects {
  std::vector<std::vector<double>> cost, effect;
};
PairedCostsAndEffects paired_costs_and_effects(std::span<const std::vector<std::vector<double>>> runs,
                                               Averted outcome) {
  const std::size_t averted = summary_index(outcome_spec(outcome).summary);
  const std::size_t spending = summary_index("spending_total");
  PairedCostsAndEffects out;
  const std::size_t n = runs.empty() ? 0 : runs.front().size();
  for (const auto& arm : runs) {
    if (arm.size() != n)
      throw std::invalid_argument("comparison: the arms have different numbers of replicates");
    std::vector<double> cost(n), effect(n);
    for (std::size_t r = 0; r < n; ++r) {
      cost[r] = arm[r].at(spending) - runs.front()[r].at(spending);
      effect[r] = runs.front()[r].at(averted) - arm[r].at(averted);
    }
    out.cost.push_back(std::move(cost));
    out.effect.push_back(std::move(effect));
  }
  return out;
}

// The share of pairs in which each arm's net benefit is the highest.
std::vector<double> best_shares(const PairedCostsAndEffects& p, double value) {
  const std::size_t arms = p.cost.size(), n = arms > 0 ? p.cost.front().size() : 0;
  std::vector<double> share(arms, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t a = 0; a < arms; ++a) best = std::max(best, value * p.effect[a][r] - p.cost[a][r]);
    std::size_t winners = 0;
    for (std::size_t a = 0; a < arms; ++a) winners += value * p.effect[a][r] - p.cost[a][r] == best;
    for (std::size_t a = 0; a < arms; ++a)
      if (value * p.effect[a][r] - p.cost[a][r] == best) share[a] += 1.0 / static_cast<double>(winners);
  }
  for (double& s : share) s = n > 0 ? s / static_cast<double>(n) : kUndefined;
  return share;
}

}  // namespace

CostEffectiveness cost_effectiveness(std::span<const std::vector<std::vector<double>>> runs,
                                     double value_per_victim_year, Averted outcome) {
  const PairedCostsAndEffects p = paired_costs_and_effects(runs, outcome);
  const std::size_t arms = runs.size();
  CostEffectiveness ce;
  ce.value_per_victim_year = value_per_victim_year;
  ce.outcome = outcome;
  for (std::size_t a = 0; a < arms; ++a) {
    ce.cost.push_back(mean_of(p.cost[a]));
    ce.effect.push_back(mean_of(p.effect[a]));
  }
  ce.status.assign(arms, Frontier::Efficient);
  // Strong dominance: another arm costs no more and averts no less, and
  // differs in one of the two.
  for (std::size_t a = 0; a < arms; ++a)
    for (std::size_t b = 0; b < arms; ++b)
      if (b != a && ce.cost[b] <= ce.cost[a] && ce.effect[b] >= ce.effect[a] &&
          (ce.cost[b] < ce.cost[a] || ce.effect[b] > ce.effect[a]))
        ce.status[a] = Frontier::Dominated;
  // Extended dominance: along the frontier ordered by cost, the ratios must
  // rise; an arm whose ratio exceeds the next one's is dropped, and the
  // ratios are taken again.
  std::vector<std::size_t> order(arms);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return ce.cost[x] < ce.cost[y] || (ce.cost[x] == ce.cost[y] && ce.effect[x] > ce.effect[y]);
  });
  auto frontier = [&] {
    std::vector<std::size_t> f;
    for (std::size_t a : order)
      if (ce.status[a] == Frontier::Efficient) f.push_back(a);
    return f;
  };
  for (bool changed = true; changed;) {
    changed = false;
    const std::vector<std::size_t> f = frontier();
    for (std::size_t i = 1; i + 1 < f.size(); ++i) {
      const double here = (ce.cost[f[i]] - ce.cost[f[i - 1]]) / (ce.effect[f[i]] - ce.effect[f[i - 1]]);
      const double next = (ce.cost[f[i + 1]] - ce.cost[f[i]]) / (ce.effect[f[i + 1]] - ce.effect[f[i]]);
      if (here > next) {
        ce.status[f[i]] = Frontier::ExtendedlyDominated;
        changed = true;
        break;
      }
    }
  }
  ce.comparator.assign(arms, -1);
  ce.icer.assign(arms, EffectEstimate{kUndefined, kUndefined, kUndefined});
  const std::vector<std::size_t> f = frontier();
  for (std::size_t i = 1; i < f.size(); ++i) {
    const std::size_t a = f[i], c = f[i - 1];
    ce.comparator[a] = static_cast<int>(c);
    std::vector<double> dc(p.cost[a].size()), de(dc.size());
    for (std::size_t r = 0; r < dc.size(); ++r) {
      dc[r] = p.cost[a][r] - p.cost[c][r];
      de[r] = p.effect[a][r] - p.effect[c][r];
    }
    ce.icer[a] = ratio_of_means(dc, de);
  }
  for (std::size_t a = 0; a < arms; ++a) {
    std::vector<double> nmb(p.cost[a].size());
    for (std::size_t r = 0; r < nmb.size(); ++r)
      nmb[r] = value_per_victim_year * p.effect[a][r] - p.cost[a][r];
    ce.net_benefit.push_back(a == 0 ? EffectEstimate{0, 0, 0} : t_interval(nmb));
  }
  ce.probability_best = best_shares(p, value_per_victim_year);
  return ce;
}

std::vector<std::vector<std::vector<double>>> runs_by_arm(const std::vector<std::vector<double>>& summaries,
                                                          std::size_t replicates) {
  std::vector<std::vector<std::vector<double>>> runs;
  for (std::size_t begin = 0; replicates > 0 && begin + replicates <= summaries.size(); begin += replicates)
    runs.emplace_back(summaries.begin() + static_cast<std::ptrdiff_t>(begin),
                      summaries.begin() + static_cast<std::ptrdiff_t>(begin + replicates));
  return runs;
}

std::vector<double> acceptability_values() {
  std::vector<double> values = {0};
  for (int k = 0; k <= 20; ++k) values.push_back(1e3 * std::pow(10.0, k / 5.0));
  return values;
}

std::vector<std::vector<double>> acceptability_curve(std::span<const std::vector<std::vector<double>>> runs,
                                                     std::span<const double> values, Averted outcome) {
  const PairedCostsAndEffects p = paired_costs_and_effects(runs, outcome);
  std::vector<std::vector<double>> curve;
  for (double value : values) curve.push_back(best_shares(p, value));
  return curve;
}

}  // namespace tipsim

#include "comparison.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "metrics.hpp"

namespace tipsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr EffectSpec kEffects[] = {
    {"victim_years_averted", "victim-years of exploitation averted", "victim_years",
     EffectSign::BaselineMinusArm, "person-years",
     "person-years of exploitation averted (baseline minus arm)", Basis::People},
    {"victims_identified", "victims identified", "identified", EffectSign::ArmMinusBaseline, "persons",
     "change in victims identified (arm minus baseline)", Basis::People},
    {"prosecutions", "prosecutions", "prosecutions", EffectSign::ArmMinusBaseline, "cases",
     "change in traffickers prosecuted (arm minus baseline)", Basis::People},
    {"convictions", "convictions", "convictions", EffectSign::ArmMinusBaseline, "cases",
     "change in traffickers convicted (arm minus baseline)", Basis::People},
    {"traffickers_active_final", "active traffickers at the end", "traffickers_active_final",
     EffectSign::ArmMinusBaseline, "traffickers",
     "change in active traffickers at the last step (arm minus baseline)", Basis::People},
    {"spending", "anti-trafficking spending", "spending_total", EffectSign::ArmMinusBaseline, "USD",
     "extra anti-trafficking spending (arm minus baseline)", Basis::Usd},
    {"cost_per_victim_year_averted", "cost per victim-year averted", "spending_total",
     EffectSign::CostPerAverted, "USD per victim-year",
     "extra spending per person-year of exploitation averted", Basis::Usd},
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
  return values.empty() ? kNaN : sum / static_cast<double>(values.size());
}

// Half the width of the t-interval of a mean with this standard error.
double half_width(double standard_error, std::size_t n, double level) {
  if (n < 2) return kNaN;
  if (standard_error == 0) return 0.0;
  const boost::math::students_t t(static_cast<double>(n - 1));
  return boost::math::quantile(t, 0.5 + level / 2) * standard_error;
}

}  // namespace

std::span<const EffectSpec> effect_table() { return kEffects; }

EffectEstimate t_interval(std::span<const double> values, double level) {
  EffectEstimate e;
  const std::size_t n = values.size();
  e.mean = mean_of(values);
  double squares = 0;
  for (double v : values) squares += (v - e.mean) * (v - e.mean);
  const double se = n > 1 ? std::sqrt(squares / static_cast<double>(n - 1) / static_cast<double>(n)) : kNaN;
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
  const std::size_t victim_years = summary_index("victim_years");
  const std::size_t spending = summary_index("spending_total");
  ArmEffects out;
  std::vector<double> averted(n), extra(n);
  for (std::size_t r = 0; r < n; ++r) {
    averted[r] = baseline[r].at(victim_years) - arm[r].at(victim_years);
    extra[r] = arm[r].at(spending) - baseline[r].at(spending);
  }
  for (const EffectSpec& effect : kEffects) {
    std::vector<double> values(n);
    EffectEstimate estimate;
    if (effect.sign == EffectSign::CostPerAverted) {
      for (std::size_t r = 0; r < n; ++r) values[r] = averted[r] > 0 ? extra[r] / averted[r] : kNaN;
      // Ratio of means, with the delta-method (linearised) standard error:
      // the t-interval of mean(extra - R averted) / mean(averted).
      const double mean_averted = mean_of(averted);
      if (n > 0 && mean_averted > 0) {
        const double ratio = mean_of(extra) / mean_averted;
        std::vector<double> residual(n);
        for (std::size_t r = 0; r < n; ++r) residual[r] = extra[r] - ratio * averted[r];
        const EffectEstimate spread = t_interval(residual);
        estimate.mean = ratio;
        estimate.ci_low = ratio + (spread.ci_low - spread.mean) / mean_averted;
        estimate.ci_high = ratio + (spread.ci_high - spread.mean) / mean_averted;
      } else {
        estimate = EffectEstimate{kNaN, kNaN, kNaN};
      }
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

}  // namespace tipsim

// Paired comparisons (comparison.cpp): the t-interval, the paired effects
// and the cost per victim-year averted, with its undefined cases.
#include "comparison.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "metrics.hpp"

namespace tipsim {
namespace {

std::size_t row(std::string_view name) {
  const auto table = summary_table();
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].name == name) return i;
  ADD_FAILURE() << "no summary " << name;
  return 0;
}

std::size_t effect(std::string_view name) {
  const auto table = effect_table();
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].name == name) return i;
  ADD_FAILURE() << "no effect " << name;
  return 0;
}

// One replicate's summaries with the given victim-years and spending.
std::vector<double> summary(double victim_years, double spending, double convictions = 0) {
  std::vector<double> s(summary_table().size(), 0.0);
  s[row("victim_years")] = victim_years;
  s[row("spending_total")] = spending;
  s[row("convictions")] = convictions;
  return s;
}

TEST(Comparison, TIntervalOfKnownValues) {
  const std::vector<double> values = {1, 2, 3, 4};
  const EffectEstimate e = t_interval(values);
  EXPECT_DOUBLE_EQ(e.mean, 2.5);
  // sd = sqrt(5/3), se = sd / 2, t(0.975, 3) = 3.182446305284263.
  const double half = 3.182446305284263 * std::sqrt(5.0 / 3.0) / 2.0;
  EXPECT_NEAR(e.ci_low, 2.5 - half, 1e-12);
  EXPECT_NEAR(e.ci_high, 2.5 + half, 1e-12);
}

TEST(Comparison, EqualValuesGiveAnIntervalOfZeroWidthAndOneValueNone) {
  const std::vector<double> same = {3, 3, 3};
  const EffectEstimate e = t_interval(same);
  EXPECT_EQ(e.mean, 3);
  EXPECT_EQ(e.ci_low, 3);
  EXPECT_EQ(e.ci_high, 3);
  const std::vector<double> one = {7};
  const EffectEstimate single = t_interval(one);
  EXPECT_EQ(single.mean, 7);
  EXPECT_TRUE(std::isnan(single.ci_low));
  EXPECT_TRUE(std::isnan(single.ci_high));
}

TEST(Comparison, AnArmAgainstItselfHasNoEffect) {
  const std::vector<std::vector<double>> runs = {summary(10, 100, 2), summary(12, 110, 3), summary(9, 90, 1)};
  const ArmEffects e = paired_effects(runs, runs);
  for (std::size_t k = 0; k < effect_table().size(); ++k) {
    SCOPED_TRACE(effect_table()[k].name);
    if (effect_table()[k].sign == EffectSign::CostPerAverted) {
      // Nothing averted: the cost per victim-year averted is undefined.
      EXPECT_TRUE(std::isnan(e.estimate[k].mean));
      for (double v : e.paired[k]) EXPECT_TRUE(std::isnan(v));
      continue;
    }
    for (double v : e.paired[k]) EXPECT_EQ(v, 0.0);
    EXPECT_EQ(e.estimate[k].mean, 0.0);
    EXPECT_EQ(e.estimate[k].ci_low, 0.0);
    EXPECT_EQ(e.estimate[k].ci_high, 0.0);
  }
}

TEST(Comparison, EffectsArePairedDifferencesWithTheDocumentedSigns) {
  const std::vector<std::vector<double>> baseline = {summary(10, 100, 2), summary(20, 100, 2)};
  const std::vector<std::vector<double>> arm = {summary(8, 120, 3), summary(14, 160, 5)};
  const ArmEffects e = paired_effects(baseline, arm);
  EXPECT_EQ(e.paired[effect("victim_years_averted")], (std::vector<double>{2, 6}));  // baseline - arm
  EXPECT_EQ(e.paired[effect("spending")], (std::vector<double>{20, 60}));            // arm - baseline
  EXPECT_EQ(e.paired[effect("convictions")], (std::vector<double>{1, 3}));
  EXPECT_EQ(e.estimate[effect("victim_years_averted")].mean, 4);
  // Per pair 20/2 and 60/6; overall the ratio of means, 40/4.
  const std::size_t cost = effect("cost_per_victim_year_averted");
  EXPECT_EQ(e.paired[cost], (std::vector<double>{10, 10}));
  EXPECT_DOUBLE_EQ(e.estimate[cost].mean, 10);
  // Spending rises in proportion to what is averted: no spread around the ratio.
  EXPECT_DOUBLE_EQ(e.estimate[cost].ci_low, 10);
  EXPECT_DOUBLE_EQ(e.estimate[cost].ci_high, 10);
}

TEST(Comparison, CostPerVictimYearAvertedIsUndefinedWhenNothingIsAvertedOnAverage) {
  const std::vector<std::vector<double>> baseline = {summary(10, 100), summary(10, 100)};
  const std::vector<std::vector<double>> worse = {summary(12, 150), summary(9, 150)};  // averted -2 and 1
  const ArmEffects e = paired_effects(baseline, worse);
  const std::size_t cost = effect("cost_per_victim_year_averted");
  EXPECT_TRUE(std::isnan(e.paired[cost][0]));  // this pair averts none
  EXPECT_EQ(e.paired[cost][1], 50);
  EXPECT_TRUE(std::isnan(e.estimate[cost].mean));  // mean averted -0.5
  // Cheaper and better: a negative cost, reported as it is.
  const std::vector<std::vector<double>> cheaper = {summary(8, 80), summary(6, 60)};
  const ArmEffects saving = paired_effects(baseline, cheaper);
  EXPECT_DOUBLE_EQ(saving.estimate[cost].mean, -30.0 / 3.0);
}

TEST(Comparison, ArmsMustHaveAsManyReplicatesAsTheBaseline) {
  const std::vector<std::vector<double>> two = {summary(1, 1), summary(1, 1)}, one = {summary(1, 1)};
  EXPECT_THROW(paired_effects(two, one), std::invalid_argument);
}

}  // namespace
}  // namespace tipsim

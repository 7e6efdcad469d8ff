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

namespace tipsim {
namespace {

// Arms of known cost and effect against a baseline of 1 000 victim-years at
// no cost, every replicate pair alike except a spread that averages out:
// the two replicates of arm k avert k more and k fewer victim-years.
std::vector<std::vector<std::vector<double>>> constructed_arms(
    const std::vector<std::pair<double, double>>& cost_and_averted) {
  std::vector<std::vector<std::vector<double>>> runs;
  const double spread[] = {1, -1};
  for (std::size_t k = 0; k < cost_and_averted.size(); ++k) {
    const auto [cost, averted] = cost_and_averted[k];
    std::vector<std::vector<double>> arm;
    for (double d : spread)
      arm.push_back(summary(1000 - averted - static_cast<double>(k) * d, 5000 + cost + 3 * d));
    runs.push_back(arm);
  }
  // The baseline's replicates carry the same spread, so pairs differ by the
  // effect alone in the mean.
  for (std::size_t r = 0; r < 2; ++r) runs[0][r] = summary(1000, 5000 + 3 * spread[r]);
  return runs;
}

TEST(CostEffectiveness, DominatedAndExtendedlyDominatedArmsAreMarked) {
  // baseline (0, 0); A (100, 10) on the frontier; B (200, 5) dominated by
  // A; D (250, 11): 150 per extra victim-year after A, but C (300, 12) is
  // 100 after A, so a mix of A and C beats D: extendedly dominated.
  const auto runs = constructed_arms({{0, 0}, {100, 10}, {200, 5}, {300, 12}, {250, 11}});
  const CostEffectiveness ce = cost_effectiveness(runs, 1000);
  ASSERT_EQ(ce.status.size(), 5u);
  EXPECT_EQ(ce.status[0], Frontier::Efficient);
  EXPECT_EQ(ce.status[1], Frontier::Efficient);
  EXPECT_EQ(ce.status[2], Frontier::Dominated);
  EXPECT_EQ(ce.status[3], Frontier::Efficient);
  EXPECT_EQ(ce.status[4], Frontier::ExtendedlyDominated);
  EXPECT_DOUBLE_EQ(ce.cost[3], 300);
  EXPECT_DOUBLE_EQ(ce.effect[3], 12);
  // A against the baseline, C against A; nothing off the frontier.
  EXPECT_EQ(ce.comparator[1], 0);
  EXPECT_EQ(ce.comparator[3], 1);
  EXPECT_EQ(ce.comparator[2], -1);
  EXPECT_EQ(ce.comparator[4], -1);
  EXPECT_NEAR(ce.icer[1].mean, 10, 1e-9);
  EXPECT_NEAR(ce.icer[3].mean, 100, 1e-9);
  EXPECT_TRUE(std::isnan(ce.icer[2].mean));
  EXPECT_TRUE(std::isnan(ce.icer[4].mean));
  // With spread in the pairs, the ICER has an interval around its mean.
  EXPECT_LT(ce.icer[3].ci_low, ce.icer[3].mean);
  EXPECT_GT(ce.icer[3].ci_high, ce.icer[3].mean);
}

TEST(CostEffectiveness, NetBenefitAndTheMostCostEffectiveArmFollowTheValueOfAVictimYear) {
  // A averts 10 for 100, C 12 for 300: at 50 per victim-year A's net benefit
  // is 400 and C's 300 (A best in both pairs); at 1000, A 9 900 and C 11 700
  // (C best in both pairs, whose spread of 1 and 2 victim-years cannot turn
  // it); at 0 the baseline is best.
  const auto runs = constructed_arms({{0, 0}, {100, 10}, {300, 12}});
  const CostEffectiveness at_50 = cost_effectiveness(runs, 50);
  EXPECT_NEAR(at_50.net_benefit[1].mean, 400, 1e-9);
  EXPECT_NEAR(at_50.net_benefit[2].mean, 300, 1e-9);
  EXPECT_EQ(at_50.net_benefit[0].mean, 0);
  EXPECT_EQ(at_50.probability_best, (std::vector<double>{0, 1, 0}));
  EXPECT_EQ(cost_effectiveness(runs, 1000).probability_best, (std::vector<double>{0, 0, 1}));
  // At 150 the pairs disagree: one each.
  EXPECT_EQ(cost_effectiveness(runs, 150).probability_best, (std::vector<double>{0, 0.5, 0.5}));
  const std::vector<double> values = {0, 50, 1000};
  const auto curve = acceptability_curve(runs, values);
  ASSERT_EQ(curve.size(), 3u);
  EXPECT_EQ(curve[0], (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(curve[1], (std::vector<double>{0, 1, 0}));
  EXPECT_EQ(curve[2], (std::vector<double>{0, 0, 1}));
}

TEST(CostEffectiveness, ACheaperArmThatAvertsMoreDominatesAndSavesMoney) {
  // An arm that saves money and averts more than the baseline dominates it.
  const auto runs = constructed_arms({{0, 0}, {-50, 4}});
  const CostEffectiveness ce = cost_effectiveness(runs, 10);
  EXPECT_EQ(ce.status[0], Frontier::Dominated);
  EXPECT_EQ(ce.status[1], Frontier::Efficient);
  EXPECT_NEAR(ce.net_benefit[1].mean, 90, 1e-9);
}

}  // namespace
}  // namespace tipsim

// Allocation of an added budget (allocation.cpp): the lattice of splits,
// the money turned into levers at each region's prices, and the frontier.
#include "allocation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "costs.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

TEST(Allocation, TheLatticeHoldsEverySplitOnceAndTheEvenSplit) {
  // Four targets in quarters: C(4 + 3, 3) = 35 splits, the even one among them.
  const auto quarters = simplex_lattice(4, 4);
  EXPECT_EQ(quarters.size(), 35u);
  for (const auto& w : quarters) EXPECT_DOUBLE_EQ(std::accumulate(w.begin(), w.end(), 0.0), 1.0);
  EXPECT_EQ(quarters.front(), (std::vector<double>{1, 0, 0, 0}));
  EXPECT_EQ(std::count(quarters.begin(), quarters.end(), std::vector<double>{0.25, 0.25, 0.25, 0.25}), 1);
  // Halves of three targets lack the even split: it is added at the end.
  const auto halves = simplex_lattice(3, 2);
  EXPECT_EQ(halves.size(), 6u + 1u);
  EXPECT_NEAR(halves.back()[0], 1.0 / 3, 1e-15);
}

TEST(Allocation, AddedMoneyBuysLeversAtEachRegionsPricesAndSpendingRisesByIt) {
  // 2 regions at price levels 1 and 0.5, 30 people per agent; 3 M USD a
  // year split 0.5 prosecution, 0.25 protection, 0.25 prevention.
  Scenario s = test::quiet_scenario(40000, 2);
  test::set_param(s, Param::population_scale, 30);
  test::set_regional(s, 1, Param::cost_price_level, 0.5);
  const std::vector<double> weights = {0.5, 0.25, 0.25, 0};
  const Scenario arm = with_added_budget(s, pillar_targets(s), weights, 3e6);
  ASSERT_EQ(arm.interventions.size(), 2u);
  const double per_100k = 3e6 / (40000.0 * 30) * 1e5;
  const InterventionSpec& cheap = arm.interventions[1];
  EXPECT_EQ(cheap.region, 1);
  EXPECT_EQ(cheap.start_step, 0);
  EXPECT_EQ(cheap.end_step, s.steps());
  ASSERT_FALSE(cheap.changes.empty());
  EXPECT_EQ(cheap.changes[0].param, Param::policy_prosecution_investigators_per_100k);
  EXPECT_EQ(cheap.changes[0].op, LeverOp::Add);
  EXPECT_NEAR(cheap.changes[0].value, per_100k * 0.5 / (0.5 * s.get(Param::cost_investigator_usd_per_year)),
              1e-12);
  // The levers' spending rises by the money, every step, in every region.
  test::World base_world = test::make_world(s), arm_world = test::make_world(arm);
  std::fill(base_world.frame.begin(), base_world.frame.end(), 0.0);
  std::fill(arm_world.frame.begin(), arm_world.frame.end(), 0.0);
  test::apply_policy_schedule(base_world);
  test::apply_policy_schedule(arm_world);
  double extra = 0;
  for (std::size_t r = 0; r < 2; ++r)
    for (std::size_t p = 0; p < kPillars; ++p)
      extra += arm_world.metric(Metric::spending, r, p) - base_world.metric(Metric::spending, r, p);
  EXPECT_NEAR(extra, 3e6 * base_world.step_years, 1e-6 * 3e6 * base_world.step_years);
}

TEST(Allocation, ANamedLeverMustBeOneMoneyBuysMoreOf) {
  EXPECT_EQ(lever_target("policy.protection.hotline").levers.front().first, Param::policy_protection_hotline);
  for (const char* bad :
       {"policy.protection.non_punishment", "institutions.corruption", "policy.protection.hotlin"}) {
    try {
      lever_target(bad);
      ADD_FAILURE() << bad << " was taken";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("policy.prosecution.investigators_per_100k"), std::string::npos)
          << e.what();
    }
  }
}

// One replicate's summaries with the given victim-years and spending.
std::vector<double> replicate_summary(double victim_years, double spending) {
  std::vector<double> v(summary_table().size(), 0.0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (summary_table()[i].name == "victim_years") v[i] = victim_years;
    if (summary_table()[i].name == "spending_total") v[i] = spending;
  }
  return v;
}

TEST(Allocation, TheFrontierTakesTheBestSplitAtEachLevelAndComparesItWithTheEvenSplit) {
  // Baseline 100 victim-years; at level 10 the splits (1, 0), (0.5, 0.5),
  // (0, 1) avert 8, 5 and 1 in every pair; at level 20, 9, 12 and 2 on
  // average, the even split best.
  const std::vector<std::vector<std::vector<double>>> runs = {
      {replicate_summary(100, 0), replicate_summary(100, 0), replicate_summary(100, 0)},
      {replicate_summary(92, 10), replicate_summary(92, 10), replicate_summary(92, 10)},
      {replicate_summary(95, 10), replicate_summary(95, 10), replicate_summary(95, 10)},
      {replicate_summary(99, 10), replicate_summary(99, 10), replicate_summary(99, 10)},
      {replicate_summary(91, 20), replicate_summary(92, 20), replicate_summary(90, 20)},
      {replicate_summary(87, 20), replicate_summary(93, 20), replicate_summary(84, 20)},
      {replicate_summary(98, 20), replicate_summary(98, 20), replicate_summary(98, 20)},
  };
  const std::vector<double> budgets = {0, 10, 10, 10, 20, 20, 20};
  const std::vector<std::vector<double>> weights = {{0, 0}, {1, 0},     {0.5, 0.5}, {0, 1},
                                                    {1, 0}, {0.5, 0.5}, {0, 1}};
  const auto levels = allocation_frontier(runs, budgets, weights);
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[0].budget, 10);
  EXPECT_EQ(levels[0].best_arm, 1u);
  EXPECT_EQ(levels[0].even_arm, 2u);
  EXPECT_DOUBLE_EQ(levels[0].best_averted.mean, 8);
  EXPECT_DOUBLE_EQ(levels[0].best_minus_even.mean, 3);
  EXPECT_DOUBLE_EQ(levels[0].probability_better_than_even, 1);
  EXPECT_EQ(levels[1].best_arm, 5u);
  EXPECT_EQ(levels[1].even_arm, 5u);
  EXPECT_DOUBLE_EQ(levels[1].best_averted.mean, 12);
  EXPECT_DOUBLE_EQ(levels[1].probability_better_than_even, 0) << "the best split is the even one";
  // By net benefit: within a level every split costs the same, so the best
  // is again the one that averts most, by the same margin.
  const auto by_value = allocation_frontier(runs, budgets, weights, 1.0);
  EXPECT_EQ(by_value[0].best_arm, 1u);
  EXPECT_DOUBLE_EQ(by_value[0].best_minus_even.mean, 3);
}

}  // namespace
}  // namespace tipsim

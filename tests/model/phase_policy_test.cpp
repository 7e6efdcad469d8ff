// Phase 1 (phase_policy.cpp): the levers in force at each step. Scenario
// values, budget mode, interventions in their window and region, with their
// ramps; the shelter places and the spending that follow from the levers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "costs.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::World;

using test::set_param;

double lever(const World& w, std::size_t region, Param p) { return w.regions[region].levers[p]; }

// Runs the policy phase at a given step, as step_world would.
void policy_at(World& w, std::int32_t step) {
  w.step = step;
  std::fill(w.frame.begin(), w.frame.end(), 0.0);
  apply_policy_schedule(w);
}

TEST(PolicySchedule, WithoutInterventionsLeversAreTheScenarioValues) {
  Scenario s = test::quiet_scenario(2000, 2);
  test::set_regional(s, 1, Param::policy_prosecution_investigators_per_100k, 3.5);
  World w = test::make_world(s);
  policy_at(w, 4);
  for (const ParamSpec& ps : param_table()) {
    if (ps.scope != ParamScope::Regional) continue;
    EXPECT_EQ(lever(w, 0, ps.id), s.regions[0].values[ps.id]) << ps.key;
    EXPECT_EQ(lever(w, 1, ps.id), s.regions[1].values[ps.id]) << ps.key;
  }
}

TEST(PolicySchedule, SetInterventionActsInItsWindowAndRegionOnly) {
  Scenario s = test::quiet_scenario(2000, 2);
  s.interventions.push_back(InterventionSpec{
      "more police", 3, 6, 1, 0, {{Param::policy_prosecution_investigators_per_100k, LeverOp::Set, 7.0}}});
  World w = test::make_world(s);
  const double base = s.regions[1].values[Param::policy_prosecution_investigators_per_100k];
  for (std::int32_t step = 0; step < 9; ++step) {
    policy_at(w, step);
    const bool in_window = step >= 3 && step < 6;
    EXPECT_EQ(lever(w, 1, Param::policy_prosecution_investigators_per_100k), in_window ? 7.0 : base)
        << "step " << step;
    EXPECT_EQ(lever(w, 0, Param::policy_prosecution_investigators_per_100k), base)
        << "the other region, step " << step;
    // Nothing else moves.
    EXPECT_EQ(lever(w, 1, Param::policy_protection_shelter_beds_per_100k),
              s.regions[1].values[Param::policy_protection_shelter_beds_per_100k]);
  }
}

TEST(PolicySchedule, ScaleInterventionMultipliesInEveryRegion) {
  Scenario s = test::quiet_scenario(2000, 3);
  test::set_regional(s, 2, Param::policy_protection_shelter_beds_per_100k, 4.0);
  s.interventions.push_back(InterventionSpec{
      "double beds", 0, 2, -1, 0, {{Param::policy_protection_shelter_beds_per_100k, LeverOp::Scale, 2.0}}});
  World w = test::make_world(s);
  policy_at(w, 1);
  EXPECT_DOUBLE_EQ(lever(w, 0, Param::policy_protection_shelter_beds_per_100k),
                   2 * s.regions[0].values[Param::policy_protection_shelter_beds_per_100k]);
  EXPECT_DOUBLE_EQ(lever(w, 1, Param::policy_protection_shelter_beds_per_100k),
                   2 * s.regions[1].values[Param::policy_protection_shelter_beds_per_100k]);
  EXPECT_DOUBLE_EQ(lever(w, 2, Param::policy_protection_shelter_beds_per_100k), 8.0);
  policy_at(w, 2);
  EXPECT_DOUBLE_EQ(lever(w, 2, Param::policy_protection_shelter_beds_per_100k), 4.0);
}

TEST(PolicySchedule, AddInterventionAddsToWhatTheLeversAreAfterTheOnesBefore) {
  // Applied in order: region 2 doubles its 4 beds, then 1.5 is added
  // everywhere, then the result is clamped to the key's range.
  Scenario s = test::quiet_scenario(2000, 3);
  test::set_regional(s, 2, Param::policy_protection_shelter_beds_per_100k, 4.0);
  s.interventions.push_back(InterventionSpec{
      "double", 0, 5, 2, 0, {{Param::policy_protection_shelter_beds_per_100k, LeverOp::Scale, 2.0}}});
  s.interventions.push_back(
      InterventionSpec{"more",
                       0,
                       5,
                       -1,
                       0,
                       {{Param::policy_protection_shelter_beds_per_100k, LeverOp::Add, 1.5},
                        {Param::policy_protection_hotline, LeverOp::Add, 0.8}}});
  World w = test::make_world(s);
  policy_at(w, 1);
  EXPECT_DOUBLE_EQ(lever(w, 0, Param::policy_protection_shelter_beds_per_100k),
                   s.regions[0].values[Param::policy_protection_shelter_beds_per_100k] + 1.5);
  EXPECT_DOUBLE_EQ(lever(w, 2, Param::policy_protection_shelter_beds_per_100k), 9.5);
  EXPECT_DOUBLE_EQ(lever(w, 0, Param::policy_protection_hotline), 1.0) << "0.5 + 0.8 is clamped at 1";
  policy_at(w, 5);
  EXPECT_DOUBLE_EQ(lever(w, 2, Param::policy_protection_shelter_beds_per_100k), 4.0);
}

TEST(PolicySchedule, RampReachesFullStrengthLinearly) {
  Scenario s = test::quiet_scenario(2000);
  set_param(s, Param::policy_prevention_awareness_reach, 0.0);
  s.interventions.push_back(InterventionSpec{
      "campaign", 10, 30, -1, 4, {{Param::policy_prevention_awareness_reach, LeverOp::Set, 0.8}}});
  World w = test::make_world(s);
  // Weight (step - start + 1) / ramp, capped at 1.
  const double expected[] = {0.0, 0.2, 0.4, 0.6, 0.8, 0.8, 0.8};
  for (std::int32_t k = 0; k < 7; ++k) {
    policy_at(w, 9 + k);
    EXPECT_NEAR(lever(w, 0, Param::policy_prevention_awareness_reach), expected[k], 1e-12)
        << "step " << 9 + k;
  }
}

TEST(PolicySchedule, RampedSwitchFlipsHalfWay) {
  Scenario s = test::quiet_scenario(2000);
  s.interventions.push_back(InterventionSpec{
      "fee ban", 0, 100, -1, 4, {{Param::policy_prevention_recruitment_fee_ban, LeverOp::Set, 1.0}}});
  World w = test::make_world(s);
  policy_at(w, 0);  // weight 1/4
  EXPECT_EQ(lever(w, 0, Param::policy_prevention_recruitment_fee_ban), 0.0);
  policy_at(w, 1);  // weight 1/2
  EXPECT_EQ(lever(w, 0, Param::policy_prevention_recruitment_fee_ban), 1.0);
}

TEST(PolicySchedule, InterventionsAreClampedToTheParameterRange) {
  Scenario s = test::quiet_scenario(2000);
  s.interventions.push_back(
      InterventionSpec{"absurd",
                       0,
                       5,
                       -1,
                       0,
                       {{Param::policy_prosecution_investigators_per_100k, LeverOp::Scale, 1e12},
                        {Param::institutions_corruption, LeverOp::Set, -3}}});
  World w = test::make_world(s);
  policy_at(w, 0);
  EXPECT_EQ(lever(w, 0, Param::policy_prosecution_investigators_per_100k),
            spec(Param::policy_prosecution_investigators_per_100k).max_value);
  EXPECT_EQ(lever(w, 0, Param::institutions_corruption), 0.0);
}

TEST(PolicySchedule, LaterInterventionsApplyOnTopOfEarlierOnes) {
  Scenario s = test::quiet_scenario(2000);
  s.interventions.push_back(InterventionSpec{
      "set", 0, 5, -1, 0, {{Param::policy_prosecution_investigators_per_100k, LeverOp::Set, 2.0}}});
  s.interventions.push_back(InterventionSpec{
      "scale", 0, 5, -1, 0, {{Param::policy_prosecution_investigators_per_100k, LeverOp::Scale, 3.0}}});
  World w = test::make_world(s);
  policy_at(w, 2);
  EXPECT_DOUBLE_EQ(lever(w, 0, Param::policy_prosecution_investigators_per_100k), 6.0);
}

TEST(PolicySchedule, ShelterPlacesFollowBedsAndPopulation) {
  Scenario s = test::quiet_scenario(40000, 2);
  test::set_regional(s, 0, Param::policy_protection_shelter_beds_per_100k, 10.0);  // 20 000 people: 2 places
  test::set_regional(s, 1, Param::policy_protection_shelter_beds_per_100k, 0.0);
  World w = test::make_world(s);
  policy_at(w, 0);
  EXPECT_EQ(w.regions[0].shelter_capacity, 2u);
  EXPECT_EQ(w.regions[1].shelter_capacity, 0u);
}

TEST(PolicySchedule, SpendingIsLeversTimesUnitCosts) {
  Scenario s = test::quiet_scenario(50000);
  set_param(s, Param::policy_prosecution_trials_per_100k_per_year, 3);
  set_param(s, Param::cost_trial_usd_per_year, spec(Param::cost_trial_usd_per_year).default_value);
  World w = test::make_world(s);
  policy_at(w, 0);
  const double per_100k_step = 50000 / 1e5 * w.step_years;
  // Investigators and the courts' capacity, used or not.
  EXPECT_NEAR(w.metric(Metric::spending, 0, static_cast<std::size_t>(Pillar::Prosecution)),
              (s.get(Param::policy_prosecution_investigators_per_100k) *
                   s.get(Param::cost_investigator_usd_per_year) +
               3 * s.get(Param::cost_trial_usd_per_year)) *
                  per_100k_step,
              1e-6);
  EXPECT_NEAR(w.metric(Metric::spending, 0, static_cast<std::size_t>(Pillar::Partnership)),
              s.get(Param::policy_partnership_level) * s.get(Param::cost_partnership_usd_per_100k_per_year) *
                  per_100k_step,
              1e-6);
  // The 3P scores stay within their 1-5 scale.
  for (std::size_t p = 0; p < kPillars; ++p) {
    EXPECT_GE(w.metric(Metric::policy_index, 0, p), 1.0);
    EXPECT_LE(w.metric(Metric::policy_index, 0, p), 5.0);
  }
}

// Levers that budget mode buys for a total budget (everything else default).
ParamValues budget_levers(double total) {
  Scenario s = test::quiet_scenario(10000);
  set_param(s, Param::budget_total_usd_per_year, total);
  World w = test::make_world(s);
  policy_at(w, 0);
  return w.regions[0].levers;
}

TEST(PolicySchedule, BudgetBuysInvestigatorsWithDiminishingReturns) {
  // Equal shares: prosecution gets 1/4 of the money; per 100 000 real people
  // that is total / 4 / 10 000 x 1e5. With cost c and reference level 1,
  // S = saturation x 1 and effort = S (1 - exp(-units / S)).
  const double total = 24000;
  const double money = total / 4 / 10000 * 1e5;
  const double units = money / spec(Param::cost_investigator_usd_per_year).default_value;
  const double cap = spec(Param::budget_saturation).default_value *
                     spec(Param::policy_prosecution_investigators_per_100k).default_value;
  const ParamValues one = budget_levers(total);
  EXPECT_NEAR(one[Param::policy_prosecution_investigators_per_100k], cap * -std::expm1(-units / cap), 1e-12);

  const ParamValues two = budget_levers(2 * total);
  const ParamValues lots = budget_levers(1e12);
  for (Param p :
       {Param::policy_prosecution_investigators_per_100k, Param::policy_protection_shelter_beds_per_100k,
        Param::policy_protection_labour_inspectors_per_100k,
        Param::policy_protection_outreach_workers_per_100k, Param::policy_prevention_awareness_reach,
        Param::policy_prevention_empowerment_reach, Param::policy_partnership_level}) {
    SCOPED_TRACE(spec(p).key);
    EXPECT_GT(one[p], 0.0);
    // More money buys more, but doubling the money buys less than double.
    EXPECT_GT(two[p], one[p]);
    EXPECT_LT(two[p], 2 * one[p]);
    EXPECT_LE(lots[p], spec(p).max_value);
  }
  // Effort saturates at S x the reference level.
  EXPECT_NEAR(lots[Param::policy_prosecution_investigators_per_100k], cap, 1e-9);
}

TEST(PolicySchedule, NoBudgetLeavesLeversAlone) {
  const ParamValues none = budget_levers(0);
  EXPECT_EQ(none[Param::policy_prosecution_investigators_per_100k],
            spec(Param::policy_prosecution_investigators_per_100k).default_value);
  EXPECT_EQ(none[Param::policy_protection_shelter_beds_per_100k],
            spec(Param::policy_protection_shelter_beds_per_100k).default_value);
}

TEST(PolicySchedule, InBudgetModeTheBudgetIsWhatIsSpent) {
  // Spending is the money allocated, by P, shared over regions by
  // population, in real USD: never divided by population.scale. The levers
  // the budget does not buy are off, so nothing is added on top.
  Scenario s = test::quiet_scenario(30000, 2);
  test::set_regional(s, 1, Param::population_share, 2.0);
  set_param(s, Param::budget_total_usd_per_year, 1e6);
  set_param(s, Param::budget_share_prevention, 0.75);  // shares 0.25 : 0.25 : 0.75 : 0.25
  set_param(s, Param::population_scale, 10);
  for (const LeverCost& c : lever_costs())
    if (!c.bought_by_budget) set_param(s, c.lever, 0);
  World w = test::make_world(s);
  policy_at(w, 0);
  const double per_step = 1e6 * w.step_years;
  const double shares[kPillars] = {0.25 / 1.5, 0.25 / 1.5, 0.75 / 1.5, 0.25 / 1.5};
  for (std::size_t p = 0; p < kPillars; ++p) {
    EXPECT_NEAR(w.metric(Metric::spending, 0, p), per_step * shares[p] / 3, 1e-6) << "pillar " << p;
    EXPECT_NEAR(w.metric(Metric::spending, 1, p), per_step * shares[p] * 2 / 3, 1e-6) << "pillar " << p;
  }
}

TEST(PolicySchedule, InBudgetModeTheLeversTheBudgetDoesNotBuyCostOnTop) {
  // A hotline in budget mode adds its own cost to protection; raising a
  // bought lever's scenario value changes nothing (the budget replaces it).
  Scenario s = test::quiet_scenario(40000);
  set_param(s, Param::budget_total_usd_per_year, 2e6);
  for (const LeverCost& c : lever_costs())
    if (!c.bought_by_budget) set_param(s, c.lever, 0);
  World w = test::make_world(s);
  policy_at(w, 0);
  const double before = w.metric(Metric::spending, 0, static_cast<std::size_t>(Pillar::Protection));
  set_param(s, Param::policy_protection_hotline, 0.8);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 50);
  test::recompile(w, s);
  policy_at(w, 0);
  const double hotline = 0.8 * s.get(Param::cost_hotline_usd_per_100k_per_year) * 40000 / 1e5 * w.step_years;
  EXPECT_NEAR(w.metric(Metric::spending, 0, static_cast<std::size_t>(Pillar::Protection)) - before, hotline,
              1e-9 * before);
}

TEST(PolicySchedule, BudgetSharesSteerTheMoney) {
  Scenario s = test::quiet_scenario(10000);
  set_param(s, Param::budget_total_usd_per_year, 50000);
  set_param(s, Param::budget_share_prosecution, 1);
  set_param(s, Param::budget_share_protection, 0);
  set_param(s, Param::budget_share_prevention, 0);
  set_param(s, Param::budget_share_partnership, 0);
  World w = test::make_world(s);
  policy_at(w, 0);
  EXPECT_GT(lever(w, 0, Param::policy_prosecution_investigators_per_100k), 0.0);
  EXPECT_EQ(lever(w, 0, Param::policy_protection_shelter_beds_per_100k), 0.0);
  EXPECT_EQ(lever(w, 0, Param::policy_prevention_awareness_reach), 0.0);
  EXPECT_EQ(lever(w, 0, Param::policy_partnership_level), 0.0);
}

TEST(PolicySchedule, BudgetBuysTheDocumentedMixOfEffortInEveryPillar) {
  // model.md 5.2: M = total x share / sum of shares per 100 000 real people;
  // a lever of unit cost c and default x_ref is X (1 - exp(-M / (c X))),
  // X = saturation x x_ref, with 60 % of the protection money for places and
  // 20 % each for inspectors and outreach; reach is sat(M / c; 1e5), 70 %
  // of the prevention money for awareness and 30 % for empowerment;
  // partnership is sat(M; c_P).
  Scenario s = test::quiet_scenario(100000);
  set_param(s, Param::budget_total_usd_per_year, 500000);
  World w = test::make_world(s);
  policy_at(w, 0);
  const double money = 500000.0 / 4;
  const double saturation = s.get(Param::budget_saturation);
  auto effort = [&](double m, Param cost, Param p) {
    const double cap = saturation * spec(p).default_value;
    return cap * -std::expm1(-m / s.get(cost) / cap);
  };
  auto reach = [&](double m, Param cost) { return -std::expm1(-m / s.get(cost) / 1e5); };
  EXPECT_NEAR(
      lever(w, 0, Param::policy_prosecution_investigators_per_100k),
      effort(money, Param::cost_investigator_usd_per_year, Param::policy_prosecution_investigators_per_100k),
      1e-12);
  EXPECT_NEAR(lever(w, 0, Param::policy_protection_shelter_beds_per_100k),
              effort(0.6 * money, Param::cost_shelter_bed_usd_per_year,
                     Param::policy_protection_shelter_beds_per_100k),
              1e-12);
  EXPECT_NEAR(lever(w, 0, Param::policy_protection_labour_inspectors_per_100k),
              effort(0.2 * money, Param::cost_labour_inspector_usd_per_year,
                     Param::policy_protection_labour_inspectors_per_100k),
              1e-12);
  EXPECT_NEAR(lever(w, 0, Param::policy_protection_outreach_workers_per_100k),
              effort(0.2 * money, Param::cost_outreach_worker_usd_per_year,
                     Param::policy_protection_outreach_workers_per_100k),
              1e-12);
  EXPECT_NEAR(lever(w, 0, Param::policy_prevention_awareness_reach),
              reach(0.7 * money, Param::cost_awareness_usd_per_person), 1e-12);
  EXPECT_NEAR(lever(w, 0, Param::policy_prevention_empowerment_reach),
              reach(0.3 * money, Param::cost_empowerment_usd_per_person), 1e-12);
  EXPECT_NEAR(lever(w, 0, Param::policy_partnership_level),
              -std::expm1(-money / s.get(Param::cost_partnership_usd_per_100k_per_year)), 1e-12);
  // The worked example of model.md 5.2, to the digits it gives.
  EXPECT_NEAR(lever(w, 0, Param::policy_prosecution_investigators_per_100k), 1.50, 0.005);
  EXPECT_NEAR(lever(w, 0, Param::policy_protection_shelter_beds_per_100k), 1.30, 0.005);
  EXPECT_NEAR(lever(w, 0, Param::policy_protection_labour_inspectors_per_100k), 0.51, 0.005);
  EXPECT_NEAR(lever(w, 0, Param::policy_protection_outreach_workers_per_100k), 0.64, 0.005);
  EXPECT_NEAR(lever(w, 0, Param::policy_prevention_awareness_reach), 0.44, 0.005);
  EXPECT_NEAR(lever(w, 0, Param::policy_prevention_empowerment_reach), 0.0009, 0.00005);
  EXPECT_NEAR(lever(w, 0, Param::policy_partnership_level), 0.98, 0.005);
}

TEST(PolicySchedule, BudgetSplitsWithinAPillarAndBuysAtTheRegionsPrices) {
  // All protection money on shelter places, at half the United States
  // prices: the places are effort(M, c_B / 2, 0.5), the inspectors and
  // outreach workers nothing; awareness takes all prevention money.
  Scenario s = test::quiet_scenario(100000);
  set_param(s, Param::budget_total_usd_per_year, 500000);
  set_param(s, Param::budget_protection_share_shelter, 3);
  set_param(s, Param::budget_protection_share_inspection, 0);
  set_param(s, Param::budget_protection_share_outreach, 0);
  set_param(s, Param::budget_prevention_share_empowerment, 0);
  set_param(s, Param::cost_price_level, 0.5);
  World w = test::make_world(s);
  policy_at(w, 0);
  const double money = 500000.0 / 4;
  const double cap =
      s.get(Param::budget_saturation) * spec(Param::policy_protection_shelter_beds_per_100k).default_value;
  EXPECT_NEAR(lever(w, 0, Param::policy_protection_shelter_beds_per_100k),
              cap * -std::expm1(-money / (0.5 * s.get(Param::cost_shelter_bed_usd_per_year)) / cap), 1e-12);
  EXPECT_EQ(lever(w, 0, Param::policy_protection_labour_inspectors_per_100k), 0.0);
  EXPECT_EQ(lever(w, 0, Param::policy_protection_outreach_workers_per_100k), 0.0);
  EXPECT_NEAR(lever(w, 0, Param::policy_prevention_awareness_reach),
              -std::expm1(-money / (0.5 * s.get(Param::cost_awareness_usd_per_person)) / 1e5), 1e-12);
  EXPECT_EQ(lever(w, 0, Param::policy_prevention_empowerment_reach), 0.0);
}

TEST(PolicySchedule, ProtectionAndPreventionSpendingIsEachLeverTimesItsUnitCost) {
  // model.md 4.1: S_prot = (B c_B + L c_L + O c_O + H c_H + sigma c_sigma +
  // NP c_NP) pi Lambda N / 1e5 dt and S_prev = (1e5 (R_a c_a + R_e c_e) +
  // FB c_FB + DD c_DD + DR c_DR) pi Lambda N / 1e5 dt, every lever at a
  // different level, at a scale of 20 and a price level of 0.4.
  Scenario s = test::quiet_scenario(50000);
  set_param(s, Param::population_scale, 20);
  set_param(s, Param::cost_price_level, 0.4);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 2.0);
  set_param(s, Param::policy_protection_labour_inspectors_per_100k, 3.0);
  set_param(s, Param::policy_protection_outreach_workers_per_100k, 0.7);
  set_param(s, Param::policy_protection_hotline, 0.9);
  set_param(s, Param::policy_protection_border_screening, 0.6);
  set_param(s, Param::policy_protection_non_punishment, 1);
  set_param(s, Param::policy_prevention_awareness_reach, 0.1);
  set_param(s, Param::policy_prevention_empowerment_reach, 0.04);
  set_param(s, Param::policy_prevention_recruitment_fee_ban, 1);
  set_param(s, Param::policy_prevention_due_diligence, 0.3);
  set_param(s, Param::policy_prevention_demand_reduction, 0.7);
  World w = test::make_world(s);
  policy_at(w, 0);
  const double per_100k = 0.4 * 20 * 50000 / 1e5 * w.step_years;
  const double protection = (2.0 * s.get(Param::cost_shelter_bed_usd_per_year) +
                             3.0 * s.get(Param::cost_labour_inspector_usd_per_year) +
                             0.7 * s.get(Param::cost_outreach_worker_usd_per_year) +
                             0.9 * s.get(Param::cost_hotline_usd_per_100k_per_year) +
                             0.6 * s.get(Param::cost_border_screening_usd_per_100k_per_year) +
                             1.0 * s.get(Param::cost_non_punishment_usd_per_100k_per_year)) *
                            per_100k;
  const double prevention = (1e5 * (0.1 * s.get(Param::cost_awareness_usd_per_person) +
                                    0.04 * s.get(Param::cost_empowerment_usd_per_person)) +
                             1.0 * s.get(Param::cost_fee_ban_usd_per_100k_per_year) +
                             0.3 * s.get(Param::cost_due_diligence_usd_per_100k_per_year) +
                             0.7 * s.get(Param::cost_demand_reduction_usd_per_100k_per_year)) *
                            per_100k;
  EXPECT_NEAR(w.metric(Metric::spending, 0, static_cast<std::size_t>(Pillar::Protection)), protection,
              1e-9 * protection);
  EXPECT_NEAR(w.metric(Metric::spending, 0, static_cast<std::size_t>(Pillar::Prevention)), prevention,
              1e-9 * prevention);
}

// Each lever, raised, raises its pillar's spending by the raise times its
// unit cost, at the region's prices, for the real people of the region; a
// per-person cost (campaign reach) is priced per person reached.
TEST(PolicySchedule, EachLeverRaisedRaisesSpendingByItsUnitCost) {
  Scenario base = test::quiet_scenario(20000);
  set_param(base, Param::population_scale, 50);
  set_param(base, Param::cost_price_level, 0.5);
  // The courts at their default size and cost, like every other lever.
  set_param(base, Param::policy_prosecution_trials_per_100k_per_year,
            spec(Param::policy_prosecution_trials_per_100k_per_year).default_value);
  set_param(base, Param::cost_trial_usd_per_year, spec(Param::cost_trial_usd_per_year).default_value);
  const double people = 20000.0 * 50;
  for (const LeverCost& c : lever_costs()) {
    const ParamSpec& lever = spec(c.lever);
    SCOPED_TRACE(std::string(lever.key));
    Scenario s = base;
    set_param(s, c.lever, lever.kind == ParamKind::Boolean ? 0.0 : 0.2);
    World w = test::make_world(s);
    policy_at(w, 0);
    const std::size_t pillar = static_cast<std::size_t>(c.pillar);
    double before[kPillars];
    for (std::size_t p = 0; p < kPillars; ++p) before[p] = w.metric(Metric::spending, 0, p);
    const double raise = lever.kind == ParamKind::Boolean ? 1.0 : 0.25;
    set_param(s, c.lever, s.get(c.lever) + raise);
    test::recompile(w, s);
    policy_at(w, 0);
    const bool per_person = spec(c.unit_cost).unit == "USD per person reached";
    const double expected =
        raise * s.get(c.unit_cost) * 0.5 * (per_person ? people : people / 1e5) * w.step_years;
    EXPECT_GT(expected, 0.0);
    EXPECT_NEAR(w.metric(Metric::spending, 0, pillar) - before[pillar], expected, 1e-9 * expected);
    for (std::size_t p = 0; p < kPillars; ++p) {
      if (p == pillar) continue;
      EXPECT_EQ(w.metric(Metric::spending, 0, p), before[p]) << "pillar " << p;
    }
  }
}

// "Every lever has a cost": every lever of the policy groups is in the cost
// table, except the two whose cost is paid per event (sentence: prison is
// no anti-trafficking budget line; service years: the services of every
// person-year in protection).
TEST(PolicySchedule, EveryLeverIsCosted) {
  for (const ParamSpec& ps : param_table()) {
    if (!param_group(ps.id).starts_with("policy:")) continue;
    if (ps.id == Param::policy_prosecution_sentence_years ||
        ps.id == Param::policy_protection_service_years || ps.id == Param::policy_protection_service_quality)
      continue;
    const auto costs = lever_costs();
    EXPECT_TRUE(std::any_of(costs.begin(), costs.end(), [&](const LeverCost& c) { return c.lever == ps.id; }))
        << ps.key << " has no unit cost";
  }
}

TEST(PolicySchedule, ThreePIndexScoresEachPillarsEffortFromOneToFive) {
  // model.md 5.4: score = 1 + 4 min(1, max(0, e)) with
  // e_pros = sat(I; 2)(1 - corruption),
  // e_prot = (sat(B; 2) + NP + quality + sat(L; 2)) / 4,
  // e_prev = (sat(R_a; 0.1) + FB + max(DD, DR) + sat(R_e; 0.05)) / 4,
  // e_part = P.
  Scenario s = test::quiet_scenario(2000);
  World w = test::make_world(s);
  policy_at(w, 0);
  auto score = [&](Pillar p) { return w.metric(Metric::policy_index, 0, static_cast<std::size_t>(p)); };
  // At the defaults, the scores model.md gives.
  EXPECT_NEAR(score(Pillar::Prosecution), 2.10, 0.005);
  EXPECT_NEAR(score(Pillar::Protection), 3.11, 0.005);
  EXPECT_NEAR(score(Pillar::Prevention), 1.39, 0.005);
  EXPECT_NEAR(score(Pillar::Partnership), 2.20, 0.005);

  // Every term away from its default, none of the efforts clamped.
  set_param(s, Param::policy_prosecution_investigators_per_100k, 3.0);
  set_param(s, Param::institutions_corruption, 0.1);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1.5);
  set_param(s, Param::policy_protection_non_punishment, 0);
  set_param(s, Param::policy_protection_service_quality, 0.8);
  set_param(s, Param::policy_protection_labour_inspectors_per_100k, 0.7);
  set_param(s, Param::policy_prevention_awareness_reach, 0.2);
  set_param(s, Param::policy_prevention_recruitment_fee_ban, 1);
  set_param(s, Param::policy_prevention_due_diligence, 0.3);
  set_param(s, Param::policy_prevention_demand_reduction, 0.5);
  set_param(s, Param::policy_prevention_empowerment_reach, 0.02);
  set_param(s, Param::policy_partnership_level, 0.45);
  test::recompile(w, s);
  policy_at(w, 1);
  auto sat = [](double x, double scale) { return 1 - std::exp(-x / scale); };
  EXPECT_NEAR(score(Pillar::Prosecution), 1 + 4 * sat(3.0, 2) * 0.9, 1e-12);
  EXPECT_NEAR(score(Pillar::Protection), 1 + (sat(1.5, 2) + 0 + 0.8 + sat(0.7, 2)), 1e-12);
  EXPECT_NEAR(score(Pillar::Prevention), 1 + (sat(0.2, 0.1) + 1 + 0.5 + sat(0.02, 0.05)), 1e-12);
  EXPECT_NEAR(score(Pillar::Partnership), 1 + 4 * 0.45, 1e-12);
  // The scales are parameters: halving the investigators' scale doubles
  // their effect's argument.
  set_param(s, Param::policy_index_investigators_per_100k, 1.0);
  set_param(s, Param::policy_index_awareness_reach, 0.4);
  test::recompile(w, s);
  policy_at(w, 1);
  EXPECT_NEAR(score(Pillar::Prosecution), 1 + 4 * sat(3.0, 1) * 0.9, 1e-12);
  EXPECT_NEAR(score(Pillar::Prevention), 1 + (sat(0.2, 0.4) + 1 + 0.5 + sat(0.02, 0.05)), 1e-12);
}

}  // namespace
}  // namespace tipsim

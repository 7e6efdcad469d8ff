// Phase 2 (phase_prevention.cpp): awareness campaigns reach FREE people and
// close part of their gap to full awareness, which then decays back to the
// regional base; the regional mean awareness follows the same dynamics in
// mean field; economic empowerment lowers the vulnerability of those reached.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "model_math.hpp"
#include "person_ops.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::World;

using test::set_param;

// A world of free people plus a few victims, stepping a year at a time so
// that a reach of 1 per year touches everyone in one step.
struct YearlyWorld {
  Scenario s = test::quiet_scenario(3000);
  World w;
  std::vector<std::uint32_t> victims = {5, 17, 1234};
  explicit YearlyWorld(Param reach) {
    set_param(s, Param::scenario_step_days, 365);
    set_param(s, reach, 1.0);
    w = test::make_world(s);
    const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 10);
    for (std::uint32_t i : victims) test::make_exploited(w, i, t);
  }
};

TEST(Prevention, CampaignRaisesAwarenessOfReachedFreePeopleOnly) {
  YearlyWorld y(Param::policy_prevention_awareness_reach);
  World& w = y.w;
  const double base = y.s.get(Param::population_awareness_base);
  const double gain = y.s.get(Param::prevention_awareness_gain);
  run_prevention(w);
  for (std::uint32_t i = 0; i < w.persons.size(); ++i) {
    const bool victim = std::find(y.victims.begin(), y.victims.end(), i) != y.victims.end();
    // One contact closes `gain` of the gap to 1; victims are out of reach.
    EXPECT_NEAR(awareness_now(w, i), victim ? base : base + gain * (1 - base), 1e-6) << "person " << i;
  }
  EXPECT_TRUE(test::world_is_consistent(w));
}

TEST(Prevention, RepeatedContactsKeepClosingTheGap) {
  YearlyWorld y(Param::policy_prevention_awareness_reach);
  World& w = y.w;
  set_param(y.s, Param::prevention_awareness_decay_per_year, 0.0);  // no decay between the yearly contacts
  test::recompile(y.w, y.s);
  const double base = y.s.get(Param::population_awareness_base);
  const double gain = y.s.get(Param::prevention_awareness_gain);
  double expected = base;
  for (int year = 0; year < 3; ++year, ++w.step) {
    run_prevention(w);
    expected += gain * (1 - expected);
  }
  w.step -= 1;
  EXPECT_NEAR(awareness_now(w, 100), expected, 1e-6);
  EXPECT_LT(awareness_now(w, 100), 1.0);
}

// Checks that `reached` of 50 000 people are the share a reach of 0.5 per
// year reaches in `steps` steps, 1 - 0.5^(steps x dt), and prints the margin.
void expect_share_reached_at_reach_half(std::size_t reached, int steps, double step_years) {
  const double p = 1.0 - std::pow(0.5, steps * step_years);
  const double tolerance = test::binomial_tolerance(50000, p);
  std::printf("reached %zu of 50000, expected %.0f +- %.0f\n", reached, 50000 * p, tolerance);
  EXPECT_NEAR(static_cast<double>(reached), 50000 * p, tolerance);
}

// The reach is the share of the population a campaign reaches in a year:
// over a year of weekly steps, half the people at a reach of 0.5 (not the
// 39 % that a rate of 0.5 contacts per person-year would give).
TEST(Prevention, CampaignReachesItsShareOfThePeopleInAYear) {
  Scenario s = test::quiet_scenario(50000);
  set_param(s, Param::policy_prevention_awareness_reach, 0.5);
  set_param(s, Param::prevention_awareness_decay_per_year, 0.0);
  World w = test::make_world(s);
  constexpr int kSteps = 52;
  for (int k = 0; k < kSteps; ++k, ++w.step) run_prevention(w);
  std::size_t reached = 0;
  for (float boost : w.persons.awareness_boost) reached += boost > 0 ? 1 : 0;
  // 52 weekly steps are 0.997 years: the share reached is 1 - 0.5^0.997.
  expect_share_reached_at_reach_half(reached, kSteps, w.step_years);
}

TEST(Prevention, AwarenessDecaysBackToTheBase) {
  Scenario s = test::quiet_scenario(100);
  World w = test::make_world(s);
  const double base = s.get(Param::population_awareness_base);
  const double decay = s.get(Param::prevention_awareness_decay_per_year);
  set_awareness(w, 7, 0.9);
  EXPECT_NEAR(awareness_now(w, 7), 0.9, 1e-6);
  w.step = 52;
  EXPECT_NEAR(awareness_now(w, 7), base + (0.9 - base) * std::exp(-decay * 52 * w.step_years), 1e-6);
  w.step = 100000;
  EXPECT_NEAR(awareness_now(w, 7), base, 1e-6);
}

TEST(Prevention, RegionalMeanAwarenessFollowsThePeopleInMeanField) {
  Scenario s = test::quiet_scenario(50000);
  set_param(s, Param::policy_prevention_awareness_reach, 0.9);
  World w = test::make_world(s);
  constexpr int kSteps = 80;
  for (int k = 0; k < kSteps; ++k, ++w.step) run_prevention(w);
  // The mean field after step s stands for the people as they enter step
  // s + 1 (campaign applied, one step of decay); w.step is now that step.
  double sum = 0, sum2 = 0;
  for (std::uint32_t i = 0; i < w.persons.size(); ++i) {
    const double a = awareness_now(w, i);
    sum += a;
    sum2 += a * a;
  }
  const double n = static_cast<double>(w.persons.size());
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  const double base = s.get(Param::population_awareness_base);
  EXPECT_GT(w.regions[0].awareness_mean, base + 0.1) << "the campaign must have raised awareness";
  EXPECT_NEAR(w.regions[0].awareness_mean, mean, 4.5 * sd / std::sqrt(n) + 1e-6);
}

TEST(Prevention, MeanAwarenessDecaysWithoutCampaigns) {
  Scenario s = test::quiet_scenario(1000);
  set_param(s, Param::policy_prevention_awareness_reach, 0.0);
  World w = test::make_world(s);
  const double base = s.get(Param::population_awareness_base);
  w.regions[0].awareness_mean = 0.9;
  run_prevention(w);
  const double keep = std::exp(-s.get(Param::prevention_awareness_decay_per_year) * w.step_years);
  EXPECT_NEAR(w.regions[0].awareness_mean, base + (0.9 - base) * keep, 1e-12);
  for (float boost : w.persons.awareness_boost) ASSERT_EQ(boost, 0.0f);
}

TEST(Prevention, EmpowermentLowersVulnerabilityOfReachedFreePeopleOnly) {
  YearlyWorld y(Param::policy_prevention_empowerment_reach);
  World& w = y.w;
  const std::vector<float> before = w.persons.vulnerability;
  const double effect = y.s.get(Param::prevention_empowerment_effect);
  run_prevention(w);
  for (std::uint32_t i = 0; i < w.persons.size(); ++i) {
    const bool victim = std::find(y.victims.begin(), y.victims.end(), i) != y.victims.end();
    const float expected = victim ? before[i] : static_cast<float>(before[i] * (1.0 - effect));
    EXPECT_FLOAT_EQ(w.persons.vulnerability[i], expected) << "person " << i;
  }
}

TEST(Prevention, NoProgrammesChangeNobody) {
  Scenario s = test::quiet_scenario(5000);
  set_param(s, Param::policy_prevention_awareness_reach, 0.0);
  set_param(s, Param::policy_prevention_empowerment_reach, 0.0);
  World w = test::make_world(s);
  const Persons before = w.persons;
  run_prevention(w);
  EXPECT_EQ(w.persons.vulnerability, before.vulnerability);
  EXPECT_EQ(w.persons.awareness_boost, before.awareness_boost);
  EXPECT_EQ(w.persons.awareness_step, before.awareness_step);
  EXPECT_EQ(w.persons.empowered, before.empowered);
}

TEST(Prevention, EmpowermentReachesItsShareOfThePeopleInAYear) {
  Scenario s = test::quiet_scenario(50000);
  set_param(s, Param::policy_prevention_awareness_reach, 0.0);
  set_param(s, Param::policy_prevention_empowerment_reach, 0.5);
  World w = test::make_world(s);
  for (float& v : w.persons.vulnerability) v = 0.5f;
  constexpr int kSteps = 52;
  for (int k = 0; k < kSteps; ++k, ++w.step) run_prevention(w);
  std::size_t reached = 0;
  for (float v : w.persons.vulnerability) reached += v < 0.5f ? 1 : 0;
  expect_share_reached_at_reach_half(reached, kSteps, w.step_years);
}

// A person reached by empowerment again (here every year for three years)
// keeps the one cut: vulnerability does not shrink toward zero.
TEST(Prevention, EmpowermentCutsAPersonsVulnerabilityOnce) {
  YearlyWorld y(Param::policy_prevention_empowerment_reach);
  World& w = y.w;
  const std::vector<float> before = w.persons.vulnerability;
  const double effect = y.s.get(Param::prevention_empowerment_effect);
  for (int year = 0; year < 3; ++year, ++w.step) run_prevention(w);
  for (std::uint32_t i = 0; i < w.persons.size(); ++i) {
    const bool victim = std::find(y.victims.begin(), y.victims.end(), i) != y.victims.end();
    const float expected = victim ? before[i] : static_cast<float>(before[i] * (1.0 - effect));
    ASSERT_FLOAT_EQ(w.persons.vulnerability[i], expected) << "person " << i;
    ASSERT_EQ(w.persons.empowered[i], victim ? 0 : 1) << "person " << i;
  }
}

// A share per year becomes a probability per step that reaches that share
// in a year; the share is capped just below 1, so that a reach of 1 (what
// an intervention clamped at the top gives) is a finite contact rate,
// continuous with the reaches below it, not everyone at every step.
TEST(Prevention, ReachPerStepIsContinuousUpToAReachOfOne) {
  const double dt = 7.0 / 365.25;
  EXPECT_EQ(reach_per_step(0.0, dt), 0.0);
  EXPECT_EQ(reach_per_step(-0.1, dt), 0.0);
  EXPECT_EQ(reach_per_step(std::nan(""), dt), 0.0);
  EXPECT_NEAR(1.0 - std::pow(1.0 - reach_per_step(0.3, dt), 1.0 / dt), 0.3, 1e-12);
  EXPECT_EQ(reach_per_step(1.0, dt), reach_per_step(kMostReachPerYear, dt));
  EXPECT_EQ(reach_per_step(5.0, dt), reach_per_step(1.0, dt));
  EXPECT_LT(reach_per_step(1.0, dt), 0.25) << "about 14 contacts a person a year at weekly steps";
  EXPECT_GT(reach_per_step(1.0, dt), reach_per_step(0.999999 - 1e-9, dt));
}

}  // namespace
}  // namespace tipsim

// Phase 10 (phase_demography.cpp): children who are trafficked or in
// services grow up; optional turnover of the population at risk (off by
// default): free people are replaced by newcomers with fresh attributes
// drawn like the initial population, and free children grow up. People
// involved in trafficking are never replaced.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::World;

using test::set_param;

// A world whose free people all carry a history (very vulnerable, aware,
// trafficked before, punished once), plus a few current victims.
struct HistoryWorld {
  static constexpr std::uint32_t kPersons = 40000;
  Scenario s = test::quiet_scenario(kPersons);
  World w;
  std::vector<std::uint32_t> victims = {10, 11, 12, 30000};
  HistoryWorld(double turnover_per_year, double ageing_per_year, double step_days) {
    set_param(s, Param::demography_turnover_per_year, turnover_per_year);
    set_param(s, Param::demography_free_child_ageing_per_year, ageing_per_year);
    // Victims keep being children here; their own ageing has its own tests.
    set_param(s, Param::demography_child_ageing_per_year, 0);
    set_param(s, Param::scenario_step_days, step_days);
    w = test::make_world(s);
    auto& p = w.persons;
    for (std::uint32_t i = 0; i < kPersons; ++i) {
      p.vulnerability[i] = 0.99f;
      p.awareness_boost[i] = 0.5f;
      p.times_trafficked[i] = 3;
      p.flags[i] = person_flag::kChild | person_flag::kCriminalised;
      p.survivor[i] = survivor_bits::kAssisted | survivor_route_bits(ExitRoute::Punished);
    }
    const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 10);
    for (std::uint32_t i : victims) test::make_exploited(w, i, t);
    // The others are survivors at liberty, not recovered.
    for (std::uint32_t i = 0; i < kPersons; ++i)
      if (!is_victim(i)) start_recovery(w, i);
    w.step = 3;
  }
  bool is_victim(std::uint32_t i) const {
    return std::find(victims.begin(), victims.end(), i) != victims.end();
  }
  std::size_t replaced() const {
    std::size_t n = 0;
    for (std::uint8_t times : w.persons.times_trafficked) n += times == 0 ? 1 : 0;
    return n;
  }
};

TEST(Demography, ByDefaultTheFreePopulationIsUntouched) {
  Scenario s = test::tiny_scenario(20000);
  ASSERT_EQ(s.get(Param::demography_turnover_per_year), 0.0);
  ASSERT_EQ(s.get(Param::demography_free_child_ageing_per_year), 0.0);
  ASSERT_GT(s.get(Param::demography_child_ageing_per_year), 0.0);
  World w = test::make_world(s);
  w.step = 5;
  const Persons before = w.persons;
  run_demography(w);
  EXPECT_EQ(w.persons.state, before.state);
  EXPECT_EQ(w.persons.flags, before.flags);
  EXPECT_EQ(w.persons.vulnerability, before.vulnerability);
  EXPECT_EQ(w.persons.awareness_boost, before.awareness_boost);
  EXPECT_EQ(w.persons.times_trafficked, before.times_trafficked);
  EXPECT_EQ(w.persons.state_since, before.state_since);
}

TEST(Demography, ReplacedPersonsGetFreshAttributes) {
  // Turnover of 100 per year with a year-long step replaces every free person.
  HistoryWorld h(100.0, 0.0, 365);
  // Everyone was empowered before: newcomers were not.
  std::fill(h.w.persons.empowered.begin(), h.w.persons.empowered.end(), std::uint8_t{1});
  run_demography(h.w);
  const auto& p = h.w.persons;
  double vulnerability = 0, female = 0, children = 0, n = 0;
  for (std::uint32_t i = 0; i < HistoryWorld::kPersons; ++i) {
    if (h.is_victim(i)) {
      ASSERT_EQ(p.times_trafficked[i], 4) << "victims are not replaced";
      ASSERT_EQ(p.vulnerability[i], 0.99f);
      continue;
    }
    ASSERT_EQ(p.times_trafficked[i], 0) << i;
    ASSERT_EQ(p.empowered[i], 0) << i;
    ASSERT_EQ(p.awareness_boost[i], 0.0f) << i;
    ASSERT_EQ(p.flags[i] & ~(person_flag::kFemale | person_flag::kChild), 0) << "no inherited history: " << i;
    ASSERT_EQ(p.survivor[i], 0) << "no inherited history: " << i;
    ASSERT_EQ(p.state_since[i], 3);
    vulnerability += p.vulnerability[i];
    female += (p.flags[i] & person_flag::kFemale) ? 1 : 0;
    children += (p.flags[i] & person_flag::kChild) ? 1 : 0;
    n += 1;
  }
  // Drawn like the initial population: Beta(mean, sd), Bernoulli shares.
  const double mean = h.s.get(Param::population_vulnerability_mean);
  const double sd = h.s.get(Param::population_vulnerability_sd);
  EXPECT_NEAR(vulnerability / n, mean, 4.5 * sd / std::sqrt(n));
  const double female_share = h.s.get(Param::population_female_share);
  const double child_share = h.s.get(Param::population_child_share);
  EXPECT_NEAR(female, n * female_share, test::binomial_tolerance(n, female_share));
  EXPECT_NEAR(children, n * child_share, test::binomial_tolerance(n, child_share));
  EXPECT_TRUE(test::world_is_consistent(h.w));
}

TEST(Demography, TurnoverReplacesTheExpectedShare) {
  HistoryWorld h(2.0, 0.0, 7);
  run_demography(h.w);
  const double free = HistoryWorld::kPersons - static_cast<double>(h.victims.size());
  const double p = 1 - std::exp(-2.0 * h.w.step_years);  // a hazard per year
  EXPECT_NEAR(static_cast<double>(h.replaced()), free * p, test::binomial_tolerance(free, p));
}

TEST(Demography, FreeChildrenGrowUp) {
  HistoryWorld h(0.0, 100.0, 365);
  run_demography(h.w);
  for (std::uint32_t i = 0; i < HistoryWorld::kPersons; ++i) {
    const bool child = h.w.persons.flags[i] & person_flag::kChild;
    ASSERT_EQ(child, h.is_victim(i)) << i;
  }
  EXPECT_EQ(h.replaced(), 0u) << "ageing is not replacement";
}

TEST(Demography, FreeChildrenGrowUpAtTheAgeingHazardPerStep) {
  // Each free child becomes an adult with probability 1 - exp(-ageing x dt).
  HistoryWorld h(0.0, 2.0, 7);
  run_demography(h.w);
  double adults = 0;
  for (std::uint32_t i = 0; i < HistoryWorld::kPersons; ++i)
    adults += (h.w.persons.flags[i] & person_flag::kChild) ? 0 : 1;
  const double free = HistoryWorld::kPersons - static_cast<double>(h.victims.size());
  const double p = 1 - std::exp(-2.0 * h.w.step_years);
  EXPECT_NEAR(adults, free * p, test::binomial_tolerance(free, p));
}

// Children exploited or in services, and free children, in one world;
// only the former grow up, at 1 - exp(-ageing x dt) a step.
TEST(Demography, TraffickedChildrenGrowUpAtTheirHazardAndFreeOnesDoNot) {
  Scenario s = test::quiet_scenario(30000);
  set_param(s, Param::demography_child_ageing_per_year, 3.0);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  World w = test::make_world(s);
  for (std::uint32_t i = 0; i < 30000; ++i) w.persons.flags[i] |= person_flag::kChild;
  const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 20000);
  for (std::uint32_t i = 0; i < 10000; ++i) test::make_exploited(w, i, t);
  for (std::uint32_t i = 10000; i < 20000; ++i) test::make_in_protection(w, i, 0, Market::LabourOther, 1);
  w.step = 4;
  run_demography(w);
  const double p = 1 - std::exp(-3.0 * w.step_years);
  for (const std::uint32_t begin : {0u, 10000u}) {
    double adults = 0;
    for (std::uint32_t i = begin; i < begin + 10000; ++i)
      adults += (w.persons.flags[i] & person_flag::kChild) ? 0 : 1;
    EXPECT_NEAR(adults, 10000 * p, test::binomial_tolerance(10000, p)) << "from person " << begin;
  }
  for (std::uint32_t i = 20000; i < 30000; ++i) ASSERT_TRUE(w.persons.flags[i] & person_flag::kChild) << i;
  EXPECT_TRUE(test::world_is_consistent(w));
}

TEST(Demography, ChildrenGrowUpAtTheSameRateWhateverTheStepLength) {
  // Five weeks of daily steps and of weekly steps leave the same share of
  // exploited children still children: exp(-10 a year x 35 days). (Taking
  // 10 x 7/365 a week as a probability would leave 0.34 instead of 0.38.)
  double still_children[2] = {};
  const double step_days[2] = {1, 7};
  for (int k = 0; k < 2; ++k) {
    Scenario s = test::quiet_scenario(20000);
    set_param(s, Param::scenario_step_days, step_days[k]);
    set_param(s, Param::demography_child_ageing_per_year, 10.0);
    World w = test::make_world(s);
    const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 20000);
    for (std::uint32_t i = 0; i < 20000; ++i) {
      test::make_exploited(w, i, t);
      w.persons.flags[i] |= person_flag::kChild;
    }
    for (w.step = 1; w.step * step_days[k] <= 35; ++w.step) run_demography(w);
    for (std::uint32_t i = 0; i < 20000; ++i)
      still_children[k] += (w.persons.flags[i] & person_flag::kChild) ? 1 : 0;
  }
  const double p = std::exp(-10.0 * 35 / 365);
  for (int k = 0; k < 2; ++k)
    EXPECT_NEAR(still_children[k], 20000 * p, test::binomial_tolerance(20000, p))
        << step_days[k] << "-day steps";
}

TEST(Demography, NewcomersVulnerabilityHasTheConfiguredSpread) {
  // Beta(mean k, (1 - mean) k) with k = mean (1 - mean) / sd^2 - 1 has
  // standard deviation sd. The sample sd of n draws varies by about
  // sd sqrt((kurtosis - 1) / 4n), and this Beta's kurtosis is below 3.
  HistoryWorld h(100.0, 0.0, 365);
  run_demography(h.w);
  double sum = 0, sum2 = 0, n = 0;
  for (std::uint32_t i = 0; i < HistoryWorld::kPersons; ++i) {
    if (h.is_victim(i)) continue;
    const double v = h.w.persons.vulnerability[i];
    sum += v;
    sum2 += v * v;
    n += 1;
  }
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  const double expected_sd = h.s.get(Param::population_vulnerability_sd);
  EXPECT_NEAR(sd, expected_sd, 4.5 * expected_sd * std::sqrt(2.0 / (4 * n)));
}

}  // namespace
}  // namespace tipsim

namespace tipsim {
namespace {

// A world of 40 000 people in two regions where region 0 holds 2 000 per
// 100 000 in servitude by descent (400 people) and region 1 none.
Scenario held_by_descent_world() {
  Scenario s = test::quiet_scenario(40000, 2);
  test::set_regional(s, 0, Param::servitude_hereditary_per_100k, 2000);
  test::set_regional(s, 1, Param::servitude_hereditary_per_100k, 0);
  test::set_regional(s, 0, Param::servitude_domestic_share, 0.25);
  return s;
}

TEST(ServitudeByDescent, PeopleAreHeldByDescentWhereTheScenarioSaysSo) {
  const Scenario s = held_by_descent_world();
  test::World w = test::make_world(s);
  double held = 0, domestic = 0;
  std::size_t families = 0;
  for (std::size_t t = 0; t < w.traffickers.size(); ++t) {
    ASSERT_EQ(w.traffickers.by_descent[t], 1);  // no other trafficker in a quiet world
    ASSERT_EQ(w.traffickers.base_region[t], 0);
    ++families;
  }
  for (std::uint32_t i = 0; i < w.persons.size(); ++i) {
    if (w.persons.state[i] == static_cast<std::uint8_t>(PersonState::Free)) continue;
    // Exploited at home, in domestic servitude or on the land, by a family.
    ASSERT_EQ(w.persons.state[i], static_cast<std::uint8_t>(PersonState::Exploited));
    ASSERT_EQ(w.persons.home_region[i], 0);
    ASSERT_EQ(w.persons.current_region[i], 0);
    const auto market = static_cast<Market>(w.persons.market[i]);
    ASSERT_TRUE(market == Market::DomesticServitude || market == Market::LabourAgriculture);
    ASSERT_EQ(w.traffickers.by_descent[static_cast<std::size_t>(w.persons.controller[i])], 1);
    held += 1;
    domestic += market == Market::DomesticServitude ? 1 : 0;
  }
  // 2 000 per 100 000 of region 0's 20 000 people.
  EXPECT_EQ(held, 400.0);
  // Families of five on average (Poisson, at least one): about 80 of them,
  // each in domestic servitude with the share; the share of people follows.
  EXPECT_NEAR(static_cast<double>(families), 400 / s.get(Param::servitude_household_size), 20.0);
  EXPECT_NEAR(domestic, 400 * 0.25,
              4.5 * std::sqrt(400 * 0.25 * 0.75 * s.get(Param::servitude_household_size)));
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

TEST(ServitudeByDescent, FamiliesRecruitNoOneAndTheChildrenOfThoseHeldAreBornToThem) {
  // With births at 2 a person-year, each of the 400 held gives birth in a
  // weekly step with probability 1 - exp(-2 x 7/365); the newborn are
  // children held by the parent's family where the parent is held.
  Scenario s = held_by_descent_world();
  set_param(s, Param::servitude_births_per_year, 2.0);
  set_param(s, Param::population_vulnerability_mean, 0.9);         // anyone would be an easy recruit
  set_param(s, Param::market_demand_agriculture_per_100k, 20000);  // and there is work for more
  set_param(s, Param::market_demand_domestic_per_100k, 20000);
  test::World w = test::make_world(s);
  const double p = -std::expm1(-2.0 * w.step_years);
  // One in each family got away: the families, below what they held, still
  // recruit no one.
  std::vector<bool> family_lost(w.traffickers.size(), false);
  double escaped = 0;
  for (std::uint32_t i = 0; i < w.persons.size(); ++i) {
    const std::int32_t t = w.persons.controller[i];
    if (t == kNoTrafficker || family_lost[static_cast<std::size_t>(t)]) continue;
    family_lost[static_cast<std::size_t>(t)] = true;
    free_from_trafficking(w, i, ExitRoute::Escaped);
    escaped += 1;
  }
  for (std::int32_t step = 0; step < 20; ++step) {
    w.step = step;
    run_recruitment(w);
  }
  EXPECT_EQ(test::frame_total(w, Metric::recruitments_by_method), 0.0);
  w.step = 20;
  std::vector<std::int32_t> holder_before(w.persons.size());
  for (std::uint32_t i = 0; i < w.persons.size(); ++i) holder_before[i] = w.persons.controller[i];
  const std::size_t involved = w.involved.size();
  run_demography(w);
  const double born = test::frame_total(w, Metric::births_into_servitude);
  EXPECT_NEAR(born, (400 - escaped) * p, test::binomial_tolerance(400 - escaped, p));
  EXPECT_GT(born, 0.0);
  EXPECT_EQ(w.involved.size(), involved + static_cast<std::size_t>(born));
  EXPECT_TRUE(std::is_sorted(w.involved.begin(), w.involved.end()));
  double newborn = 0;
  for (std::uint32_t i = 0; i < w.persons.size(); ++i) {
    if (holder_before[i] != kNoTrafficker || w.persons.controller[i] == kNoTrafficker) continue;
    newborn += 1;
    EXPECT_TRUE(w.persons.flags[i] & person_flag::kChild);
    EXPECT_EQ(w.persons.state[i], static_cast<std::uint8_t>(PersonState::Exploited));
    EXPECT_EQ(w.persons.home_region[i], 0);
    EXPECT_EQ(w.traffickers.by_descent[static_cast<std::size_t>(w.persons.controller[i])], 1);
  }
  EXPECT_EQ(newborn, born);
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

}  // namespace
}  // namespace tipsim

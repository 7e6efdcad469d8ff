// Phase 5 (phase_movement.cpp): a recruit's destination is drawn from the
// home region's routes; domestic recruits are exploited at once or after
// the domestic delay, cross-border recruits after the route's transit time;
// crossing a border is remembered.
#include <gtest/gtest.h>

#include <array>

#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::World;

using test::set_param;

// Three regions; region 0 sends 30 % of its recruits to region 1 (transit
// 21 days, 3 weekly steps) and 20 % to region 2 (7 days, 1 step); the rest
// stay home.
Scenario routed_scenario(std::uint32_t persons) {
  Scenario s = test::quiet_scenario(persons, 3);
  s.routes.push_back(RouteSpec{0, 1, 0.3, 21});
  s.routes.push_back(RouteSpec{0, 2, 0.2, 7});
  return s;
}

// Recruits everyone of region 0 in step `step`, for one trafficker.
std::vector<std::uint32_t> recruit_region(World& w, std::size_t region, Market market) {
  std::vector<std::uint32_t> recruits;
  const std::int32_t t = test::add_trafficker(w, region, Method::DeceptiveJobOffer, market, 60000);
  for (std::uint32_t i = w.model.regions[region].person_begin; i < w.model.regions[region].person_end; ++i) {
    test::make_recruited(w, i, t);
    recruits.push_back(i);
  }
  return recruits;
}

TEST(Movement, DestinationsFollowRouteShares) {
  Scenario s = routed_scenario(90000);
  World w = test::make_world(s);
  w.step = 5;
  const auto recruits = recruit_region(w, 0, Market::LabourConstruction);
  run_movement(w);
  std::array<double, 3> arrived{};
  for (std::uint32_t i : recruits) arrived[w.persons.current_region[i]] += 1;
  const double n = static_cast<double>(recruits.size());
  const double share[3] = {0.5, 0.3, 0.2};
  for (std::size_t j = 0; j < 3; ++j)
    EXPECT_NEAR(arrived[j], n * share[j], test::binomial_tolerance(n, share[j])) << "destination " << j;
  // Each arrival counts in the destination market at once.
  for (std::size_t j = 0; j < 3; ++j)
    EXPECT_EQ(w.regions[j].market_victims[static_cast<std::size_t>(Market::LabourConstruction)], arrived[j]);
  EXPECT_TRUE(test::world_is_consistent(w));
}

TEST(Movement, CrossedBorderFlagMarksExactlyThoseWhoLeftHome) {
  Scenario s = routed_scenario(9000);
  World w = test::make_world(s);
  const auto recruits = recruit_region(w, 0, Market::Sexual);
  run_movement(w);
  for (std::uint32_t i : recruits) {
    const bool abroad = w.persons.current_region[i] != w.persons.home_region[i];
    EXPECT_EQ(static_cast<bool>(w.persons.flags[i] & person_flag::kCrossedBorder), abroad) << i;
  }
}

TEST(Movement, TransitTimeIsRespected) {
  Scenario s = routed_scenario(9000);
  World w = test::make_world(s);
  w.step = 10;
  const auto recruits = recruit_region(w, 0, Market::Sexual);
  const std::int32_t transit[3] = {0, 3, 1};  // domestic delay 0 by default
  for (std::int32_t step = 10; step < 15; ++step) {
    w.step = step;
    std::fill(w.frame.begin(), w.frame.end(), 0.0);
    run_movement(w);
    double started = 0;
    for (std::uint32_t i : recruits) {
      const std::size_t to = w.persons.current_region[i];
      const bool exploited = w.persons.state[i] == static_cast<std::uint8_t>(PersonState::Exploited);
      ASSERT_EQ(exploited, step - 10 >= transit[to]) << "person " << i << " to " << to << " at step " << step;
      if (exploited && step - 10 == transit[to]) {
        ASSERT_EQ(w.persons.state_since[i], step) << "exploitation starts when they arrive";
        started += 1;
      }
    }
    EXPECT_EQ(test::frame_total(w, Metric::exploitations_new), started) << "step " << step;
  }
  EXPECT_TRUE(test::world_is_consistent(w));
}

// Steps from recruitment (at step 10) to exploitation of every recruit of
// region 0 taken along a single route of `days` to region 1.
std::vector<std::int32_t> transit_steps_taken(double step_days, double days) {
  Scenario s = test::quiet_scenario(6000, 2);
  set_param(s, Param::scenario_step_days, step_days);
  s.routes.push_back(RouteSpec{0, 1, 1.0, days});
  World w = test::make_world(s);
  w.step = 10;
  const auto recruits = recruit_region(w, 0, Market::LabourAgriculture);
  std::vector<std::int32_t> taken(recruits.size(), -1);
  for (std::int32_t step = 10; step < 10 + static_cast<std::int32_t>(days / step_days) + 3; ++step) {
    w.step = step;
    run_movement(w);
    for (std::size_t k = 0; k < recruits.size(); ++k)
      if (taken[k] < 0 && w.persons.state[recruits[k]] == static_cast<std::uint8_t>(PersonState::Exploited))
        taken[k] = step - 10;
  }
  return taken;
}

TEST(Movement, ATransitTimeInDaysKeepsItsMeanAtAnyStepLength) {
  // 10 days: exactly 10 daily steps; at weekly steps 10/7 = 1.43 steps, so
  // 3/7 of recruits wait 2 steps and 4/7 wait 1, a mean of 10 days.
  for (const std::int32_t steps : transit_steps_taken(1, 10)) ASSERT_EQ(steps, 10);
  const auto weekly = transit_steps_taken(7, 10);
  const double n = static_cast<double>(weekly.size());
  double two = 0;
  for (const std::int32_t steps : weekly) {
    ASSERT_TRUE(steps == 1 || steps == 2) << steps;
    two += steps == 2;
  }
  EXPECT_NEAR(two, n * 3 / 7, test::binomial_tolerance(n, 3.0 / 7)) << "mean days " << 7 * (1 + two / n);
  // A whole number of steps is kept exactly.
  for (const std::int32_t steps : transit_steps_taken(7, 21)) ASSERT_EQ(steps, 3);
}

TEST(Movement, DomesticDelayHoldsDomesticRecruits) {
  Scenario s = test::quiet_scenario(3000);
  set_param(s, Param::movement_domestic_delay_days, 14);  // two weekly steps
  World w = test::make_world(s);
  const auto recruits = recruit_region(w, 0, Market::DomesticServitude);
  for (std::int32_t step = 0; step < 3; ++step) {
    w.step = step;
    run_movement(w);
    for (std::uint32_t i : recruits) {
      ASSERT_EQ(w.persons.current_region[i], 0);
      ASSERT_EQ(w.persons.state[i] == static_cast<std::uint8_t>(PersonState::Exploited), step >= 2);
    }
  }
  EXPECT_EQ(w.regions[0].market_victims[static_cast<std::size_t>(Market::DomesticServitude)],
            recruits.size());
}

TEST(Movement, WithoutRoutesEveryoneStaysHome) {
  Scenario s = test::quiet_scenario(6000, 2);
  World w = test::make_world(s);
  const auto recruits = recruit_region(w, 1, Market::ForcedCriminality);
  run_movement(w);
  for (std::uint32_t i : recruits) {
    EXPECT_EQ(w.persons.current_region[i], 1);
    EXPECT_EQ(w.persons.state[i], static_cast<std::uint8_t>(PersonState::Exploited));
    EXPECT_FALSE(w.persons.flags[i] & person_flag::kCrossedBorder);
  }
}

TEST(Movement, ExploitedPeopleDoNotMove) {
  Scenario s = routed_scenario(9000);
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 100);
  for (std::uint32_t i = 0; i < 100; ++i) test::make_exploited(w, i, t, i % 3);
  const Persons before = w.persons;
  w.step = 3;
  run_movement(w);
  EXPECT_EQ(w.persons.current_region, before.current_region);
  EXPECT_EQ(w.persons.state, before.state);
  EXPECT_EQ(w.persons.state_since, before.state_since);
}

TEST(Movement, NewExploitationsAreCountedInTheRegionOfExploitation) {
  Scenario s = routed_scenario(9000);
  World w = test::make_world(s);
  w.step = 10;
  const auto recruits = recruit_region(w, 0, Market::Sexual);
  const std::int32_t transit[3] = {0, 3, 1};
  double abroad = 0;
  for (std::int32_t step = 10; step < 14; ++step) {
    w.step = step;
    std::fill(w.frame.begin(), w.frame.end(), 0.0);
    run_movement(w);
    double started[3] = {0, 0, 0};
    for (std::uint32_t i : recruits) {
      const std::size_t to = w.persons.current_region[i];
      if (step - 10 == transit[to]) started[to] += 1;
    }
    for (std::size_t j = 0; j < 3; ++j)
      EXPECT_EQ(w.metric(Metric::exploitations_new, j, static_cast<std::size_t>(Market::Sexual)), started[j])
          << "region " << j << " at step " << step;
    abroad += started[1] + started[2];
  }
  EXPECT_GT(abroad, 0.0);
}

}  // namespace
}  // namespace tipsim

// Phase 9 (phase_protection.cpp): people in protection receive services for
// the region's service duration, then go home FREE; good services lower
// vulnerability, raise awareness and, with probability equal to their
// quality, lift the re-trafficking penalty.
#include <gtest/gtest.h>

#include <cmath>

#include "person_ops.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::World;

using test::set_param;

// `count` people of region 0 sheltered in region `shelter` since step 0.
struct ShelterWorld {
  Scenario s = test::quiet_scenario(20000, 2);
  World w;
  std::uint32_t count;
  ShelterWorld(std::uint32_t n, double quality, std::size_t shelter = 0) : count(n) {
    set_param(s, Param::policy_protection_service_quality, quality);
    set_param(s, Param::policy_protection_service_years, test::weeks(26));
    w = test::make_world(s);
    w.regions[shelter].shelter_capacity = n;
    for (std::uint32_t i = 0; i < n; ++i) test::make_in_protection(w, i, shelter, Market::LabourOther, 0);
  }
  std::int64_t duration() const {
    return std::llround(s.get(Param::policy_protection_service_years) / w.step_years);
  }
};

TEST(Protection, PeopleLeaveAfterTheServiceDuration) {
  ShelterWorld sw(50, 0.5, /*shelter=*/1);
  World& w = sw.w;
  ASSERT_GT(sw.duration(), 2);
  for (w.step = 1; w.step < sw.duration(); ++w.step) {
    run_protection(w);
    ASSERT_EQ(test::count_in(w, PersonState::InProtection), 50u) << "step " << w.step;
  }
  std::fill(w.frame.begin(), w.frame.end(), 0.0);
  run_protection(w);
  EXPECT_EQ(test::count_in(w, PersonState::InProtection), 0u);
  // Counted where the shelter is; everyone goes home.
  EXPECT_EQ(w.metric(Metric::reintegrations, 1), 50.0);
  EXPECT_EQ(w.regions[1].shelter_occupied, 0u);
  for (std::uint32_t i = 0; i < 50; ++i) {
    EXPECT_EQ(w.persons.current_region[i], 0);
    EXPECT_EQ(w.persons.market[i], kNoMarket);
    EXPECT_EQ(w.persons.state_since[i], w.step);
  }
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

TEST(Protection, EveryStepInProtectionPaysForServicesByTheirQuality) {
  // model.md 4.1: q c_s pi Lambda dt per person in protection, to the
  // protection pillar of the shelter's region, also in the step they leave.
  for (const double quality : {0.3, 0.9}) {
    SCOPED_TRACE(quality);
    Scenario s = test::quiet_scenario(20000, 2);
    set_param(s, Param::policy_protection_service_quality, quality);
    set_param(s, Param::policy_protection_service_years, test::weeks(26));
    set_param(s, Param::population_scale, 25);
    test::set_regional(s, 1, Param::cost_price_level, 0.6);
    World w = test::make_world(s);
    w.regions[1].shelter_capacity = 40;
    for (std::uint32_t i = 0; i < 40; ++i) test::make_in_protection(w, i, 1, Market::LabourOther, 0);
    const std::int64_t duration = std::llround(s.get(Param::policy_protection_service_years) / w.step_years);
    const double per_person =
        quality * s.get(Param::cost_services_usd_per_person_year) * 0.6 * 25 * w.step_years;
    const auto protection = static_cast<std::size_t>(Pillar::Protection);
    for (w.step = 1; w.step <= duration; ++w.step) {
      std::fill(w.frame.begin(), w.frame.end(), 0.0);
      run_protection(w);
      EXPECT_NEAR(w.metric(Metric::spending, 1, protection), 40 * per_person, 1e-9 * per_person) << w.step;
      EXPECT_EQ(w.metric(Metric::spending, 0, protection), 0.0);
    }
    std::fill(w.frame.begin(), w.frame.end(), 0.0);
    run_protection(w);
    EXPECT_EQ(w.metric(Metric::spending, 1, protection), 0.0) << "nobody left in protection";
  }
}

TEST(Protection, GoodServicesCutVulnerabilityAndRaiseAwareness) {
  for (const double quality : {0.0, 0.5, 1.0}) {
    SCOPED_TRACE(quality);
    ShelterWorld sw(200, quality);
    World& w = sw.w;
    const std::vector<float> before = w.persons.vulnerability;
    w.step = static_cast<std::int32_t>(sw.duration());
    run_protection(w);
    const double cut = sw.s.get(Param::protection_reintegration_vulnerability_cut);
    const double awareness_after = sw.s.get(Param::protection_reintegration_awareness);
    const double base = sw.s.get(Param::population_awareness_base);
    for (std::uint32_t i = 0; i < 200; ++i) {
      ASSERT_FLOAT_EQ(w.persons.vulnerability[i], static_cast<float>(before[i] * (1 - quality * cut))) << i;
      ASSERT_NEAR(awareness_now(w, i), std::max(base, quality * awareness_after), 1e-6) << i;
    }
  }
}

TEST(Protection, ReintegrationSucceedsWithProbabilityEqualToQuality) {
  for (const double quality : {0.0, 0.3, 1.0}) {
    SCOPED_TRACE(quality);
    ShelterWorld sw(10000, quality);
    World& w = sw.w;
    w.step = static_cast<std::int32_t>(sw.duration());
    run_protection(w);
    double reintegrated = 0;
    for (std::uint32_t i = 0; i < sw.count; ++i)
      reintegrated += (w.persons.flags[i] & person_flag::kRecovering) ? 0 : 1;
    EXPECT_NEAR(reintegrated, sw.count * quality, test::binomial_tolerance(sw.count, quality));
    if (quality == 0.0 || quality == 1.0) {
      EXPECT_EQ(reintegrated, sw.count * quality) << "certain either way";
    }
    // Recovered at once by good services: counted as recoveries by the
    // route of their exit, and no longer among the survivors recovering.
    EXPECT_EQ(test::frame_total(w, Metric::survivor_recoveries), reintegrated);
    EXPECT_EQ(w.regions[0].survivors_recovering, sw.count - reintegrated);
    EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
  }
}

TEST(Protection, CooperationEndsWithProtection) {
  ShelterWorld sw(10, 0.5);
  World& w = sw.w;
  for (std::uint32_t i = 0; i < 10; ++i) w.persons.flags[i] |= person_flag::kCooperating;
  w.step = static_cast<std::int32_t>(sw.duration());
  run_protection(w);
  for (std::uint32_t i = 0; i < 10; ++i) EXPECT_FALSE(w.persons.flags[i] & person_flag::kCooperating);
}

TEST(Protection, AStayOfDaysKeepsItsMeanAtWeeklySteps) {
  // 10 days are 1.43 weekly steps: 3/7 of people stay 2 steps, 4/7 one.
  constexpr std::uint32_t kPeople = 7000;
  ShelterWorld sw(kPeople, 0.5);
  set_param(sw.s, Param::policy_protection_service_years, 10.0 / 365);
  World& w = sw.w;
  test::recompile(w, sw.s);
  apply_policy_schedule(w);
  w.regions[0].shelter_capacity = kPeople;
  w.step = 1;
  run_protection(w);
  const double after_one = static_cast<double>(kPeople - test::count_in(w, PersonState::InProtection));
  EXPECT_NEAR(after_one, kPeople * 4.0 / 7, test::binomial_tolerance(kPeople, 4.0 / 7));
  w.step = 2;
  run_protection(w);
  EXPECT_EQ(test::count_in(w, PersonState::InProtection), 0u);
}

TEST(Protection, LongerServicesKeepPeopleLonger) {
  ShelterWorld sw(10, 0.5);
  set_param(sw.s, Param::policy_protection_service_years, test::weeks(104));
  World& w = sw.w;
  test::recompile(w, sw.s);
  apply_policy_schedule(w);
  w.regions[0].shelter_capacity = 10;
  w.step = 26;
  run_protection(w);
  EXPECT_EQ(test::count_in(w, PersonState::InProtection), 10u);
  w.step = 104;
  run_protection(w);
  EXPECT_EQ(test::count_in(w, PersonState::InProtection), 0u);
}

TEST(Protection, ServicesFollowTheLeversOfTheShelterRegion) {
  // People of region 0 sheltered in region 1 get region 1's service
  // duration (a year) and quality (1), not their home's (a quarter, 0).
  Scenario s = test::quiet_scenario(20000, 2);
  test::set_regional(s, 0, Param::policy_protection_service_years, test::weeks(13));
  test::set_regional(s, 0, Param::policy_protection_service_quality, 0.0);
  test::set_regional(s, 1, Param::policy_protection_service_years, test::weeks(52));
  test::set_regional(s, 1, Param::policy_protection_service_quality, 1.0);
  World w = test::make_world(s);
  w.regions[1].shelter_capacity = 20;
  for (std::uint32_t i = 0; i < 20; ++i) test::make_in_protection(w, i, 1, Market::Sexual, 0);
  const std::vector<float> before = w.persons.vulnerability;
  const std::int32_t duration = 52;
  for (w.step = 1; w.step < duration; ++w.step) {
    run_protection(w);
    ASSERT_EQ(test::count_in(w, PersonState::InProtection), 20u) << "step " << w.step;
  }
  run_protection(w);
  EXPECT_EQ(test::count_in(w, PersonState::InProtection), 0u);
  const double cut = s.get(Param::protection_reintegration_vulnerability_cut);
  for (std::uint32_t i = 0; i < 20; ++i) {
    EXPECT_FLOAT_EQ(w.persons.vulnerability[i], static_cast<float>(before[i] * (1 - cut))) << i;
    EXPECT_FALSE(w.persons.flags[i] & person_flag::kRecovering) << i;
  }
}

TEST(Protection, ReintegrationNeverLowersAwareness) {
  // a <- max(a, q a_R): someone who already knows more than the services
  // teach (q a_R = 0.45 here) keeps what they know.
  ShelterWorld sw(100, 0.5);
  World& w = sw.w;
  w.step = static_cast<std::int32_t>(sw.duration());
  for (std::uint32_t i = 0; i < 100; ++i) set_awareness(w, i, 0.95);
  run_protection(w);
  ASSERT_EQ(test::count_in(w, PersonState::InProtection), 0u);
  for (std::uint32_t i = 0; i < 100; ++i) EXPECT_NEAR(awareness_now(w, i), 0.95, 1e-6) << i;
}

}  // namespace
}  // namespace tipsim

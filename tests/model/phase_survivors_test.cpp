// Phase 10 (phase_survivors.cpp): every exit from trafficking is followed
// up. A review survivors.followup_years later records where the survivor is
// by how their trafficking ended; services follow up those they assisted; a
// survivor back home who has not recovered recovers at a hazard, slower with
// a criminal record. Each transition alone.
#include <gtest/gtest.h>

#include <cmath>

#include "person_ops.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::set_param;
using test::World;

constexpr std::size_t kRecoveringCount = 4000;

// Two regions of 5000 people; a trafficker of region 0 holding victims in
// region 1 (abroad) and in region 0 (at home).
struct SurvivorWorld {
  Scenario s = test::quiet_scenario(10000, 2);
  World w;
  std::int32_t t = 0;
  explicit SurvivorWorld(double recovery_per_year = 0.2, double followup_reach = 0.6,
                         double followup_years = test::weeks(52)) {
    set_param(s, Param::survivors_recovery_per_year, recovery_per_year);
    set_param(s, Param::survivors_followup_reach, followup_reach);
    set_param(s, Param::survivors_followup_years, followup_years);
    w = test::make_world(s);
    t = test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::LabourOther, 60000);
  }
  // Person `i` exploited in `where`, then leaving by `route` this step.
  void exit(std::uint32_t i, std::size_t where, ExitRoute route) {
    test::make_exploited(w, i, t, where);
    if (route == ExitRoute::Protected) {
      w.regions[where].shelter_capacity += 1;
      enter_protection(w, i);
    } else {
      free_from_trafficking(w, i, route);
    }
  }
  std::size_t followup_steps() const {
    return static_cast<std::size_t>(std::llround(s.get(Param::survivors_followup_years) / w.step_years));
  }
  // Steps the world from w.step to `step` (exclusive) with the survivors
  // phase only, the frame kept across steps.
  void run_until(std::int32_t step) {
    for (; w.step < step; ++w.step) run_survivors(w);
  }
};

TEST(Survivors, AnExitIsCountedAndFollowedUp) {
  SurvivorWorld sw;
  World& w = sw.w;
  w.step = 3;
  sw.exit(10, 1, ExitRoute::Escaped);    // abroad: goes home now
  sw.exit(11, 0, ExitRoute::Released);   // at home
  sw.exit(12, 1, ExitRoute::Protected);  // sheltered abroad: goes home when services end
  run_survivors(w);
  EXPECT_TRUE(w.survivor_exits.empty());
  EXPECT_EQ(w.metric(Metric::exits_from_trafficking, 1, static_cast<std::size_t>(ExitRoute::Escaped)), 1);
  EXPECT_EQ(w.metric(Metric::exits_from_trafficking, 0, static_cast<std::size_t>(ExitRoute::Released)), 1);
  EXPECT_EQ(w.metric(Metric::exits_from_trafficking, 1, static_cast<std::size_t>(ExitRoute::Protected)), 1);
  EXPECT_EQ(test::frame_total(w, Metric::returns_from_abroad), 1);
  EXPECT_EQ(w.metric(Metric::returns_from_abroad, 0, static_cast<std::size_t>(ExitRoute::Escaped)), 1);
  // Three reviews a year on; a recovery for each of the two back home.
  std::size_t reviews = 0, recoveries = 0;
  for (const SurvivorEvent& e : w.survivor_calendar.events()) {
    if (e.kind == SurvivorEvent::Review) {
      ++reviews;
      EXPECT_EQ(e.due, 3 + static_cast<std::int32_t>(sw.followup_steps()));
      EXPECT_EQ(e.times, 1);
      EXPECT_EQ(e.abroad, e.person != 11 ? 1 : 0);
    } else {
      ++recoveries;
      EXPECT_NE(e.person, 12u) << "in protection: no recovery drawn yet";
      EXPECT_GT(e.due, 3);
      EXPECT_EQ(e.since, 3);
    }
  }
  EXPECT_EQ(reviews, 3u);
  EXPECT_EQ(recoveries, 2u);
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

// The share recovered after `years` at hazard `hazard`: 1 - exp(-hazard years).
double recovered_by(double hazard, double years) { return -std::expm1(-hazard * years); }

TEST(Survivors, SurvivorsRecoverAtTheHazardAndSlowerWithACriminalRecord) {
  const double hazard = 0.5;
  SurvivorWorld sw(hazard);
  World& w = sw.w;
  const double record_factor = sw.s.get(Param::survivors_record_recovery_factor);
  ASSERT_LT(record_factor, 1.0);
  // Half punished (a record), half escaped, all at home in region 0.
  const std::uint32_t half = kRecoveringCount / 2;
  for (std::uint32_t i = 0; i < kRecoveringCount; ++i)
    sw.exit(i, 0, i < half ? ExitRoute::Escaped : ExitRoute::Punished);
  for (std::uint32_t i = half; i < kRecoveringCount; ++i) w.persons.flags[i] |= person_flag::kCriminalised;
  EXPECT_EQ(w.regions[0].survivors_recovering, kRecoveringCount);
  const std::int32_t year = static_cast<std::int32_t>(std::llround(1.0 / w.step_years));
  sw.run_until(year + 1);  // the exits' step, then a year of steps
  double plain = 0, recorded = 0;
  for (std::uint32_t i = 0; i < kRecoveringCount; ++i)
    if (!(w.persons.flags[i] & person_flag::kRecovering)) (i < half ? plain : recorded) += 1;
  const double years = year * w.step_years;
  const double p_plain = recovered_by(hazard, years),
               p_recorded = recovered_by(hazard * record_factor, years);
  EXPECT_NEAR(plain, half * p_plain, test::binomial_tolerance(half, p_plain));
  EXPECT_NEAR(recorded, half * p_recorded, test::binomial_tolerance(half, p_recorded));
  // Every recovery is counted once, by route, and leaves the count recovering.
  EXPECT_EQ(test::frame_total(w, Metric::survivor_recoveries, static_cast<std::size_t>(ExitRoute::Escaped)),
            plain);
  EXPECT_EQ(test::frame_total(w, Metric::survivor_recoveries, static_cast<std::size_t>(ExitRoute::Punished)),
            recorded);
  EXPECT_EQ(w.regions[0].survivors_recovering, kRecoveringCount - plain - recorded);
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

TEST(Survivors, WithoutAHazardOnlyServicesEndTheRecovery) {
  SurvivorWorld sw(/*recovery_per_year=*/0.0);
  World& w = sw.w;
  for (std::uint32_t i = 0; i < 100; ++i) sw.exit(i, 0, ExitRoute::Escaped);
  sw.run_until(200);
  EXPECT_EQ(w.regions[0].survivors_recovering, 100u);
  for (const SurvivorEvent& e : w.survivor_calendar.events()) EXPECT_NE(e.kind, SurvivorEvent::Recovery);
  EXPECT_EQ(test::frame_total(w, Metric::survivor_recoveries), 0.0);
}

TEST(Survivors, ARecoveryDrawnForOneSpellAtLibertyDoesNotEndALaterOne) {
  // A very fast recovery, due next step; the survivor is trafficked again
  // and freed again before it comes due: the old draw does not apply.
  SurvivorWorld sw(/*recovery_per_year=*/1000.0);
  World& w = sw.w;
  w.step = 1;
  sw.exit(5, 0, ExitRoute::Escaped);
  run_survivors(w);
  w.step = 2;
  sw.exit(5, 0, ExitRoute::Released);         // re-trafficked and let go within the step
  ASSERT_EQ(w.survivor_calendar.size(), 2u);  // the first spell's review and recovery (due now)
  sw.run_until(3);
  // The old recovery (since step 1) came due and was skipped; the new spell's
  // recovery is drawn, due from step 3 on.
  EXPECT_TRUE(w.persons.flags[5] & person_flag::kRecovering);
  EXPECT_EQ(test::frame_total(w, Metric::survivor_recoveries), 0.0);
  sw.run_until(4);
  EXPECT_FALSE(w.persons.flags[5] & person_flag::kRecovering);
  EXPECT_EQ(test::frame_total(w, Metric::survivor_recoveries), 1.0);
}

TEST(Survivors, TheReviewRecordsWhereEachSurvivorIsByHowTheirTraffickingEnded) {
  SurvivorWorld sw(/*recovery_per_year=*/0.0, /*followup_reach=*/1.0);
  World& w = sw.w;
  // 0: escaped, trafficked again; 1: turned away, still recovering;
  // 2: protected abroad, still sheltered; 3: protected, left recovered;
  // 4: punished, recovering.
  sw.exit(0, 0, ExitRoute::Escaped);
  sw.exit(1, 0, ExitRoute::TurnedAway);
  sw.exit(2, 1, ExitRoute::Protected);
  sw.exit(3, 0, ExitRoute::Protected);
  sw.exit(4, 0, ExitRoute::Punished);
  run_survivors(w);
  w.step = 5;
  test::make_exploited(w, 0, sw.t, 1);  // re-trafficked
  leave_protection(w, 3);
  end_recovery(w, 3);  // good services: recovered when they ended
  sw.run_until(static_cast<std::int32_t>(sw.followup_steps()));
  std::fill(w.frame.begin(), w.frame.end(), 0.0);
  sw.run_until(static_cast<std::int32_t>(sw.followup_steps()) + 1);
  auto pathway = [&](ExitRoute route, SurvivorOutcome outcome) {
    return test::frame_total(w, Metric::survivor_pathways, pathway_of(route, outcome));
  };
  EXPECT_EQ(pathway(ExitRoute::Escaped, SurvivorOutcome::Retrafficked), 1);
  EXPECT_EQ(pathway(ExitRoute::TurnedAway, SurvivorOutcome::Recovering), 1);
  EXPECT_EQ(pathway(ExitRoute::Protected, SurvivorOutcome::InProtection), 1);
  EXPECT_EQ(pathway(ExitRoute::Protected, SurvivorOutcome::Recovered), 1);
  EXPECT_EQ(pathway(ExitRoute::Punished, SurvivorOutcome::Recovering), 1);
  EXPECT_EQ(test::frame_total(w, Metric::survivor_pathways), 5);
  // Abroad: the sheltered one only (counted at home).
  EXPECT_EQ(test::frame_total(w, Metric::survivor_pathways_abroad), 1);
  EXPECT_EQ(w.metric(Metric::survivor_pathways_abroad, 0,
                     pathway_of(ExitRoute::Protected, SurvivorOutcome::InProtection)),
            1);
  // Services follow up the two they assisted, with a reach of 1.
  EXPECT_EQ(
      w.metric(Metric::assisted_survivors_followed_up, 0, static_cast<std::size_t>(Followup::InServices)), 1);
  EXPECT_EQ(
      w.metric(Metric::assisted_survivors_followed_up, 0, static_cast<std::size_t>(Followup::Recovered)), 1);
  EXPECT_EQ(test::frame_total(w, Metric::assisted_survivors_followed_up), 2);
}

TEST(Survivors, ServicesLoseTheReTraffickedAndReachTheOthersWithTheirReach) {
  SurvivorWorld sw(/*recovery_per_year=*/0.0);
  World& w = sw.w;
  const double reach = w.model.scenario.get(Param::survivors_followup_reach);
  ASSERT_GT(reach, 0.0);
  ASSERT_LT(reach, 1.0);
  const std::uint32_t n = 3000;
  for (std::uint32_t i = 0; i < n; ++i) sw.exit(i, 0, ExitRoute::Protected);
  run_survivors(w);
  w.step = 1;
  for (std::uint32_t i = 0; i < n; ++i) leave_protection(w, i);
  for (std::uint32_t i = 0; i < 100; ++i) test::make_exploited(w, i, sw.t, 0);  // trafficked again
  sw.run_until(static_cast<std::int32_t>(sw.followup_steps()));
  std::fill(w.frame.begin(), w.frame.end(), 0.0);
  sw.run_until(static_cast<std::int32_t>(sw.followup_steps()) + 1);
  const auto found = [&](Followup f) {
    return w.metric(Metric::assisted_survivors_followed_up, 0, static_cast<std::size_t>(f));
  };
  const double others = n - 100;
  EXPECT_NEAR(found(Followup::NotRecovered), others * reach, test::binomial_tolerance(others, reach));
  EXPECT_EQ(found(Followup::Lost), n - found(Followup::NotRecovered));
  EXPECT_EQ(found(Followup::Recovered), 0);
  // The truth: a hundred trafficked again, the rest recovering.
  EXPECT_EQ(
      w.metric(Metric::survivor_pathways, 0, pathway_of(ExitRoute::Protected, SurvivorOutcome::Retrafficked)),
      100);
  EXPECT_EQ(
      w.metric(Metric::survivor_pathways, 0, pathway_of(ExitRoute::Protected, SurvivorOutcome::Recovering)),
      others);
}

TEST(Survivors, ACriminalRecordKeepsVictimsFromComingForward) {
  SurvivorWorld sw;
  World& w = sw.w;
  test::make_exploited(w, 7, sw.t, 0);
  test::make_exploited(w, 8, sw.t, 0);
  w.persons.flags[8] |= person_flag::kCriminalised;
  const double factor = w.model.scenario.get(Param::survivors_record_self_report_factor);
  ASSERT_LT(factor, 1.0);
  ASSERT_GT(self_report_propensity(w.model, w, 7), 0.0);
  EXPECT_DOUBLE_EQ(self_report_propensity(w.model, w, 8), factor * self_report_propensity(w.model, w, 7));
}

}  // namespace
}  // namespace tipsim

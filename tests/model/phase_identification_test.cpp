// Phase 7 (phase_identification.cpp with person_ops' handle_identified):
// exploited people face a hazard summed over the channels active where
// they are exploited; labour inspection finds labour forms only; people in
// transit face border screening; an identified person takes a free shelter
// place or is turned away; without non-punishment victims of forced
// criminality are punished; identification adds evidence against the
// controller, cooperation much more.
#include <gtest/gtest.h>

#include <cmath>

#include "model_math.hpp"
#include "person_ops.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::World;

using test::set_param;

double identified(const World& w, Channel c) {
  return test::frame_total(w, Metric::identifications_by_channel, static_cast<std::size_t>(c));
}

// A quiet world with every channel off, no corruption and no partnership,
// so that each test switches on the one channel it checks.
Scenario dark_scenario(std::uint32_t persons, std::size_t regions = 1) {
  Scenario s = test::quiet_scenario(persons, regions);
  test::no_identification(s);
  set_param(s, Param::institutions_corruption, 0);
  return s;
}

// Gives `count` persons from `first` on to a new trafficker of `market`.
std::int32_t exploit(World& w, std::uint32_t first, std::uint32_t count, Market market) {
  const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, market, 60000);
  for (std::uint32_t i = first; i < first + count; ++i) test::make_exploited(w, i, t);
  return t;
}

TEST(Identification, ZeroEffortInEveryChannelIdentifiesNobody) {
  Scenario s = dark_scenario(20000, 2);
  s.routes.push_back(RouteSpec{0, 1, 0.5, 28});
  // Even with very effective channels: without effort they find nobody.
  for (Param rate :
       {Param::identification_police_rate_per_year, Param::identification_inspection_rate_per_year,
        Param::identification_ngo_rate_per_year, Param::identification_hotline_rate_per_year,
        Param::identification_private_sector_rate_per_year})
    set_param(s, rate, 1000);
  set_param(s, Param::identification_border_detection_rate_per_year, 1000);
  World w = test::make_world(s);
  w.regions[0].awareness_mean = w.regions[1].awareness_mean = 1.0;
  std::uint32_t next = 0;
  for (std::size_t m = 0; m < kMarkets; ++m, next += 500) exploit(w, next, 500, static_cast<Market>(m));
  const std::int32_t t = test::add_trafficker(w, 0, Method::Abduction, Market::Sexual, 500);
  for (std::uint32_t i = next; i < next + 500; ++i) test::make_in_transit(w, i, t, 1);
  const Persons before = w.persons;
  for (w.step = 1; w.step < 20; ++w.step) run_identification(w);
  EXPECT_EQ(w.persons.state, before.state);
  EXPECT_EQ(test::frame_total(w, Metric::identifications_by_channel), 0.0);
  EXPECT_EQ(test::frame_total(w, Metric::victims_punished), 0.0);
  EXPECT_EQ(test::frame_total(w, Metric::other_cases), 0.0);
}

TEST(Identification, LabourInspectionNeverFindsSexualExploitation) {
  Scenario s = dark_scenario(20000);
  set_param(s, Param::policy_protection_labour_inspectors_per_100k, 1e4);
  set_param(s, Param::identification_inspection_rate_per_year, 1000);  // certain where it reaches
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  World w = test::make_world(s);
  exploit(w, 0, 3000, Market::Sexual);
  exploit(w, 3000, 3000, Market::LabourConstruction);
  exploit(w, 6000, 3000, Market::ForcedCriminality);
  exploit(w, 9000, 3000, Market::DomesticServitude);
  w.step = 1;
  run_identification(w);
  EXPECT_EQ(test::frame_total(w, Metric::identified_by_form, static_cast<std::size_t>(Form::Sexual)), 0.0);
  EXPECT_EQ(
      test::frame_total(w, Metric::identified_by_form, static_cast<std::size_t>(Form::ForcedCriminality)),
      0.0);
  for (std::uint32_t i = 0; i < 3000; ++i)
    ASSERT_EQ(w.persons.state[i], static_cast<std::uint8_t>(PersonState::Exploited)) << i;
  // Workplaces are reached fully, private homes a fifth as much.
  EXPECT_EQ(test::frame_total(w, Metric::identified_by_form, static_cast<std::size_t>(Form::Labour)), 3000.0);
  const double home_rate = 1000 *
                           -std::expm1(-1e4 / s.get(Param::identification_inspection_half_effort_per_100k)) *
                           s.get(Param::identification_inspection_domestic_factor);
  const double p = -std::expm1(-home_rate * w.step_years);
  EXPECT_NEAR(
      test::frame_total(w, Metric::identified_by_form, static_cast<std::size_t>(Form::DomesticServitude)),
      3000 * p, test::binomial_tolerance(3000, p));
  EXPECT_EQ(identified(w, Channel::LabourInspection), test::frame_total(w, Metric::identified_by_form));
}

TEST(Identification, PoliceHazardFollowsEffortVisibilityAndCorruption) {
  // Rate = police_rate x (1 - exp(-effort / half)) x visibility x (1 - corruption).
  Scenario s = dark_scenario(30000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 2.0);
  set_param(s, Param::identification_police_rate_per_year, 20.0);
  set_param(s, Param::institutions_corruption, 0.25);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  World w = test::make_world(s);
  exploit(w, 0, 10000, Market::Sexual);
  exploit(w, 10000, 10000, Market::LabourAgriculture);
  w.step = 1;
  run_identification(w);
  const double effort = -std::expm1(-2.0 / s.get(Param::identification_police_half_effort_per_100k));
  for (Form f : {Form::Sexual, Form::Labour}) {
    const double visibility = f == Form::Sexual ? s.get(Param::identification_visibility_sexual)
                                                : s.get(Param::identification_visibility_labour);
    const double p = -std::expm1(-20.0 * effort * visibility * 0.75 * w.step_years);
    EXPECT_NEAR(test::frame_total(w, Metric::identified_by_form, static_cast<std::size_t>(f)), 10000 * p,
                test::binomial_tolerance(10000, p))
        << static_cast<int>(f);
  }
  EXPECT_EQ(identified(w, Channel::Police), test::frame_total(w, Metric::identified_by_form));
}

TEST(Identification, ChannelsShareIdentificationsByTheirHazards) {
  // Police and NGO outreach both at rate r x (1 - e^-1): each finds half.
  Scenario s = dark_scenario(30000);
  set_param(s, Param::policy_prosecution_investigators_per_100k,
            s.get(Param::identification_police_half_effort_per_100k));
  set_param(s, Param::policy_protection_outreach_workers_per_100k,
            s.get(Param::identification_ngo_half_effort_per_100k));
  set_param(s, Param::identification_police_rate_per_year, 30.0);
  set_param(s, Param::identification_ngo_rate_per_year, 30.0);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  World w = test::make_world(s);
  exploit(w, 0, 20000, Market::Sexual);
  w.step = 1;
  run_identification(w);
  const double total = identified(w, Channel::Police) + identified(w, Channel::NgoOutreach);
  const double p = -std::expm1(-2 * 30.0 * -std::expm1(-1.0) * w.step_years);
  EXPECT_NEAR(total, 20000 * p, test::binomial_tolerance(20000, p));
  EXPECT_NEAR(identified(w, Channel::Police), total / 2, test::binomial_tolerance(total, 0.5));
}

TEST(Identification, HotlineGrowsWithCommunityAwareness) {
  Scenario s = dark_scenario(30000);
  set_param(s, Param::policy_protection_hotline, 1.0);
  set_param(s, Param::identification_hotline_rate_per_year, 40.0);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  for (const double awareness : {0.0, 0.5}) {
    SCOPED_TRACE(awareness);
    World w = test::make_world(s);
    w.regions[0].awareness_mean = awareness;
    exploit(w, 0, 20000, Market::Sexual);
    w.step = 1;
    run_identification(w);
    const double p = -std::expm1(-40.0 * awareness * w.step_years);
    EXPECT_NEAR(identified(w, Channel::Hotline), 20000 * p, test::binomial_tolerance(20000, p));
  }
}

TEST(Identification, PrivateSectorFlagsNeedPartnership) {
  Scenario s = dark_scenario(30000);
  set_param(s, Param::identification_private_sector_rate_per_year, 40.0);
  set_param(s, Param::identification_partnership_boost, 0.0);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  for (const double partnership : {0.0, 0.5}) {
    SCOPED_TRACE(partnership);
    set_param(s, Param::policy_partnership_level, partnership);
    World w = test::make_world(s);
    exploit(w, 0, 20000, Market::Sexual);
    w.step = 1;
    run_identification(w);
    const double p = -std::expm1(-40.0 * partnership * w.step_years);
    EXPECT_NEAR(identified(w, Channel::PrivateSector), 20000 * p, test::binomial_tolerance(20000, p));
  }
}

TEST(Identification, ShelterCapacityIsRespected) {
  Scenario s = dark_scenario(10000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 1e4);
  set_param(s, Param::identification_police_rate_per_year, 1000);  // everyone is found this step
  World w = test::make_world(s);
  w.regions[0].shelter_capacity = 5;
  test::make_in_protection(w, 0, 0, Market::Sexual, 0);
  test::make_in_protection(w, 1, 0, Market::Sexual, 0);
  const std::int32_t t = exploit(w, 100, 100, Market::Sexual);
  const std::vector<float> before = w.persons.vulnerability;
  w.step = 1;
  run_identification(w);
  // Three free places, taken in person-id order; the other 97 are turned away.
  EXPECT_EQ(w.metric(Metric::protection_entries, 0), 3.0);
  EXPECT_EQ(w.metric(Metric::protection_turned_away, 0), 97.0);
  EXPECT_EQ(identified(w, Channel::Police), 100.0);
  EXPECT_EQ(w.regions[0].shelter_occupied, 5u);
  for (std::uint32_t i = 100; i < 103; ++i)
    EXPECT_EQ(w.persons.state[i], static_cast<std::uint8_t>(PersonState::InProtection)) << i;
  const double unserved = s.get(Param::protection_unserved_vulnerability_increase);
  for (std::uint32_t i = 103; i < 200; ++i) {
    ASSERT_EQ(w.persons.state[i], static_cast<std::uint8_t>(PersonState::Free)) << i;
    ASSERT_FLOAT_EQ(w.persons.vulnerability[i], static_cast<float>(before[i] + unserved * (1 - before[i])));
  }
  EXPECT_EQ(w.traffickers.victims[t], 0);
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

TEST(Identification, WithoutNonPunishmentForcedCriminalityVictimsAreCriminalised) {
  Scenario s = dark_scenario(20000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 1e4);
  set_param(s, Param::identification_police_rate_per_year, 1000);
  set_param(s, Param::identification_visibility_criminality, 1.0);  // certain to be found
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  set_param(s, Param::policy_protection_non_punishment, 0);
  World w = test::make_world(s);
  const std::int32_t criminal = exploit(w, 0, 4000, Market::ForcedCriminality);
  exploit(w, 4000, 4000, Market::Sexual);
  const std::vector<float> before = w.persons.vulnerability;
  w.step = 1;
  run_identification(w);
  const double punish = s.get(Param::protection_criminalised_vulnerability_increase);
  for (std::uint32_t i = 0; i < 4000; ++i) {
    ASSERT_EQ(w.persons.state[i], static_cast<std::uint8_t>(PersonState::Free)) << i;
    ASSERT_TRUE(w.persons.flags[i] & person_flag::kCriminalised) << i;
    ASSERT_FALSE(w.persons.flags[i] & person_flag::kCooperating) << i;
    ASSERT_FLOAT_EQ(w.persons.vulnerability[i], static_cast<float>(before[i] + punish * (1 - before[i])));
  }
  // They still count as evidence against the controller, without cooperation.
  EXPECT_NEAR(w.traffickers.evidence[criminal], 4000 * s.get(Param::prosecution_evidence_per_identification),
              1e-3);
  // Victims of other forms are punished with the configured share.
  std::size_t sexual_punished = 0;
  for (std::uint32_t i = 4000; i < 8000; ++i)
    sexual_punished += (w.persons.flags[i] & person_flag::kCriminalised) ? 1 : 0;
  const double share = s.get(Param::protection_criminalise_others_share);
  EXPECT_NEAR(static_cast<double>(sexual_punished), 4000 * share, test::binomial_tolerance(4000, share));
  EXPECT_EQ(w.metric(Metric::identified_victims_punished, 0), 4000.0 + static_cast<double>(sexual_punished));
  EXPECT_EQ(w.metric(Metric::victims_punished, 0), 4000.0 + static_cast<double>(sexual_punished));
  // Identified first: the agency records them, then punishes them.
  EXPECT_EQ(
      test::frame_total(w, Metric::identified_by_form, static_cast<std::size_t>(Form::ForcedCriminality)),
      4000.0);
  EXPECT_EQ(w.metric(Metric::protection_entries, 0), 4000.0 - static_cast<double>(sexual_punished));
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

TEST(Identification, WithNonPunishmentForcedCriminalityVictimsAreProtected) {
  Scenario s = dark_scenario(20000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 1e4);
  set_param(s, Param::identification_police_rate_per_year, 1000);
  set_param(s, Param::identification_visibility_criminality, 1.0);  // certain to be found
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  World w = test::make_world(s);
  exploit(w, 0, 1000, Market::ForcedCriminality);
  w.step = 1;
  run_identification(w);
  EXPECT_EQ(w.metric(Metric::victims_punished, 0), 0.0);
  EXPECT_EQ(w.metric(Metric::protection_entries, 0), 1000.0);
  EXPECT_EQ(test::count_in(w, PersonState::InProtection), 1000u);
}

TEST(Identification, VictimsOfForcedCriminalityAreArrestedAsOffenders) {
  // No channel at all, only the arrest hazard; without non-punishment the
  // arrested are punished.
  Scenario s = dark_scenario(20000);
  set_param(s, Param::exploitation_criminality_arrest_per_year, 8.0);
  set_param(s, Param::policy_protection_non_punishment, 0);
  World w = test::make_world(s);
  exploit(w, 0, 10000, Market::ForcedCriminality);
  exploit(w, 10000, 5000, Market::Sexual);
  w.step = 1;
  run_identification(w);
  const double p = -std::expm1(-8.0 * w.step_years);
  const double arrests = w.metric(Metric::other_cases, 0, static_cast<std::size_t>(Record::Offence));
  EXPECT_NEAR(arrests, 10000 * p, test::binomial_tolerance(10000, p));
  EXPECT_EQ(w.metric(Metric::victims_in_other_cases, 0, static_cast<std::size_t>(Record::Offence)), arrests);
  EXPECT_EQ(w.metric(Metric::victims_punished, 0), arrests);
  for (std::uint32_t i = 10000; i < 15000; ++i)
    ASSERT_EQ(w.persons.state[i], static_cast<std::uint8_t>(PersonState::Exploited))
        << "no arrests outside forced criminality";
}

TEST(Identification, CooperationAddsEvidenceAgainstTheController) {
  Scenario s = dark_scenario(20000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 1e4);
  set_param(s, Param::identification_police_rate_per_year, 1000);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  set_param(s, Param::protection_cooperation_sheltered, 1.0);
  World w = test::make_world(s);
  const std::int32_t t = exploit(w, 0, 300, Market::Sexual);
  w.step = 1;
  run_identification(w);
  const double per_victim = s.get(Param::prosecution_evidence_per_identification) +
                            s.get(Param::prosecution_evidence_per_cooperation);
  EXPECT_NEAR(w.traffickers.evidence[t], 300 * per_victim, 1e-3);
  EXPECT_EQ(w.metric(Metric::victims_cooperating, 0), 300.0);
  for (std::uint32_t i = 0; i < 300; ++i) ASSERT_TRUE(w.persons.flags[i] & person_flag::kCooperating);
}

TEST(Identification, TurnedAwayVictimsRarelyCooperate) {
  Scenario s = dark_scenario(20000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 1e4);
  set_param(s, Param::identification_police_rate_per_year, 1000);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 0);
  World w = test::make_world(s);
  exploit(w, 0, 8000, Market::Sexual);
  w.step = 1;
  run_identification(w);
  EXPECT_EQ(w.metric(Metric::protection_entries, 0), 0.0);
  EXPECT_EQ(w.metric(Metric::protection_turned_away, 0), 8000.0);
  const double p = s.get(Param::protection_cooperation_unsheltered);
  EXPECT_NEAR(w.metric(Metric::victims_cooperating, 0), 8000 * p, test::binomial_tolerance(8000, p));
  // Cooperation is a flag of people in protection only.
  for (std::uint32_t i = 0; i < 8000; ++i) ASSERT_FALSE(w.persons.flags[i] & person_flag::kCooperating);
}

TEST(Identification, BorderScreeningFindsPeopleInTransitOnly) {
  Scenario s = dark_scenario(20000, 2);
  set_param(s, Param::policy_protection_border_screening, 1.0);
  // A hazard that a weekly step in transit turns into a probability of 0.25.
  set_param(s, Param::identification_border_detection_rate_per_year, -std::log(0.75) / s.step_years());
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::LabourOther, 20000);
  for (std::uint32_t i = 0; i < 8000; ++i) test::make_in_transit(w, i, t, 1);
  for (std::uint32_t i = 8000; i < 9000; ++i) test::make_exploited(w, i, t);
  w.step = 1;
  run_identification(w);
  // Probability per step in transit: 1 - exp(-screening x r_bor x dt) (no corruption or partnership here).
  EXPECT_NEAR(identified(w, Channel::BorderScreening), 8000 * 0.25, test::binomial_tolerance(8000, 0.25));
  EXPECT_EQ(test::frame_total(w, Metric::identifications_by_channel),
            identified(w, Channel::BorderScreening));
  // Identified in the destination region, abroad.
  EXPECT_EQ(w.metric(Metric::identified_abroad, 1), identified(w, Channel::BorderScreening));
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

TEST(Identification, OutreachHotlineAndPrivateSectorSeeEachFormByItsVisibility) {
  // lambda_{f,c} = lambda_c x omega_f x M for NGO outreach, the hotline and
  // private-sector flags alike (M = 1 here: no corruption, no partnership
  // boost), with lambda_c = r (1 - e^-1) at outreach effort s_ngo, r h A for
  // the hotline and r P for the private sector.
  const Form forms[4] = {Form::Sexual, Form::Labour, Form::DomesticServitude, Form::ForcedCriminality};
  const Market markets[4] = {Market::Sexual, Market::LabourAgriculture, Market::DomesticServitude,
                             Market::ForcedCriminality};
  for (const Channel channel : {Channel::NgoOutreach, Channel::Hotline, Channel::PrivateSector}) {
    SCOPED_TRACE(static_cast<int>(channel));
    Scenario s = dark_scenario(40000);
    set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
    set_param(s, Param::identification_partnership_boost, 0.0);
    double hazard = 0;
    if (channel == Channel::NgoOutreach) {
      set_param(s, Param::policy_protection_outreach_workers_per_100k,
                s.get(Param::identification_ngo_half_effort_per_100k));
      set_param(s, Param::identification_ngo_rate_per_year, 40.0);
      hazard = 40.0 * -std::expm1(-1.0);
    } else if (channel == Channel::Hotline) {
      set_param(s, Param::policy_protection_hotline, 1.0);
      set_param(s, Param::identification_hotline_rate_per_year, 40.0);
      hazard = 40.0 * 1.0 * 0.5;
    } else {
      set_param(s, Param::policy_partnership_level, 0.5);
      set_param(s, Param::identification_private_sector_rate_per_year, 40.0);
      hazard = 40.0 * 0.5;
    }
    World w = test::make_world(s);
    w.regions[0].awareness_mean = 0.5;
    for (std::uint32_t f = 0; f < 4; ++f) exploit(w, f * 10000, 10000, markets[f]);
    w.step = 1;
    run_identification(w);
    const double visibility[4] = {s.get(Param::identification_visibility_sexual),
                                  s.get(Param::identification_visibility_labour),
                                  s.get(Param::identification_visibility_domestic),
                                  s.get(Param::identification_visibility_criminality)};
    for (std::size_t f = 0; f < 4; ++f) {
      const double p = -std::expm1(-hazard * visibility[f] * w.step_years);
      EXPECT_NEAR(test::frame_total(w, Metric::identified_by_form, static_cast<std::size_t>(forms[f])),
                  10000 * p, test::binomial_tolerance(10000, p))
          << "form " << f;
    }
    EXPECT_EQ(identified(w, channel), test::frame_total(w, Metric::identified_by_form));
  }
}

TEST(Identification, PartnershipAndCorruptionActOnBorderScreeningToo) {
  // p = 1 - exp(-S r_bor M dt), M = (1 + boost x P)(1 - corruption):
  // (1 + 0.5)(1 - 0.2) = 1.2, so 0.25 becomes 1 - 0.75^1.2.
  Scenario s = dark_scenario(20000, 2);
  set_param(s, Param::policy_protection_border_screening, 1.0);
  set_param(s, Param::identification_border_detection_rate_per_year, -std::log(0.75) / s.step_years());
  set_param(s, Param::identification_partnership_boost, 1.0);
  set_param(s, Param::policy_partnership_level, 0.5);
  set_param(s, Param::institutions_corruption, 0.2);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::LabourOther, 20000);
  for (std::uint32_t i = 0; i < 8000; ++i) test::make_in_transit(w, i, t, 1);
  w.step = 1;
  run_identification(w);
  const double p = 1 - std::pow(0.75, (1 + 1.0 * 0.5) * (1 - 0.2));
  EXPECT_NEAR(identified(w, Channel::BorderScreening), 8000 * p, test::binomial_tolerance(8000, p));
}

TEST(Identification, IdentifiedWomenAndChildrenAreCountedByTheirOwnFlags) {
  Scenario s = dark_scenario(20000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 1e4);
  set_param(s, Param::identification_police_rate_per_year, 1000);  // everyone is found this step
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  World w = test::make_world(s);
  exploit(w, 0, 4000, Market::Sexual);
  double women = 0, children = 0;
  for (std::uint32_t i = 0; i < 4000; ++i) {
    women += (w.persons.flags[i] & person_flag::kFemale) ? 1 : 0;
    children += (w.persons.flags[i] & person_flag::kChild) ? 1 : 0;
  }
  w.step = 1;
  run_identification(w);
  ASSERT_EQ(identified(w, Channel::Police), 4000.0);
  EXPECT_EQ(w.metric(Metric::identified_female, 0), women);
  EXPECT_EQ(w.metric(Metric::identified_children, 0), children);
  EXPECT_EQ(w.metric(Metric::identified_abroad, 0), 0.0);
}

TEST(Identification, VictimsComeForwardByWhatTheyKnowReachTrustAndFear) {
  // Hazard r_self x awareness x reach x fear x M: awareness 0.5, a hotline
  // of 0.6 and no outreach (reach 0.6), corruption 0.2 and no partnership
  // (M = 0.8): 0.24 at home under a non-punishment law; abroad x (1 - 0.4);
  // without the law x (1 - 0.5). Every report is recognised here.
  constexpr std::uint32_t kGroup = 4000;
  Scenario s = dark_scenario(24000, 2);
  set_param(s, Param::identification_self_report_rate_per_year, 20.0);
  set_param(s, Param::identification_self_report_recognition_sexual, 1.0);
  set_param(s, Param::population_awareness_base, 0.5);
  set_param(s, Param::policy_protection_hotline, 0.6);
  set_param(s, Param::identification_hotline_rate_per_year, 0);  // no community tips: only the victims call
  set_param(s, Param::institutions_corruption, 0.2);
  set_param(s, Param::identification_self_report_fear_abroad, 0.4);
  set_param(s, Param::identification_self_report_fear_punishment, 0.5);
  set_param(s, Param::protection_criminalise_others_share, 0.0);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  test::set_regional(s, 1, Param::policy_protection_non_punishment, 0);
  World w = test::make_world(s);
  const std::int32_t t0 = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 60000);
  const std::int32_t t1 = test::add_trafficker(w, 1, Method::Romance, Market::Sexual, 60000);
  const std::uint32_t first[3] = {0, 12000, 16000};  // at home; abroad in region 0; at home in region 1
  for (std::uint32_t i = first[0]; i < first[0] + kGroup; ++i) test::make_exploited(w, i, t0);
  for (std::uint32_t i = first[1]; i < first[1] + kGroup; ++i) test::make_exploited(w, i, t1, 0);
  for (std::uint32_t i = first[2]; i < first[2] + kGroup; ++i) test::make_exploited(w, i, t1);
  w.step = 1;
  run_identification(w);
  const double propensity[3] = {0.24, 0.24 * 0.6, 0.24 * 0.5};
  double total = 0;
  for (int g = 0; g < 3; ++g) {
    double out = 0;
    for (std::uint32_t i = first[g]; i < first[g] + kGroup; ++i)
      out += w.persons.state[i] == static_cast<std::uint8_t>(PersonState::InProtection) ? 1 : 0;
    const double p = 1 - std::exp(-20.0 * propensity[g] * w.step_years);
    EXPECT_NEAR(out, kGroup * p, test::binomial_tolerance(kGroup, p)) << "group " << g;
    total += out;
  }
  EXPECT_EQ(identified(w, Channel::SelfReport), total);
  EXPECT_EQ(test::frame_total(w, Metric::identifications_by_channel), total) << "no other channel is open";
  EXPECT_EQ(test::frame_total(w, Metric::victims_unrecognised), 0.0);
}

TEST(Identification, AReportNotRecognisedLeavesTheVictimWhereTheyWere) {
  // Labour victims come forward with probability 1 - exp(-20 x 0.5 dt) and
  // are recognised with probability 0.25; the others are recorded as
  // something else and stay exploited.
  constexpr std::uint32_t kVictims = 10000;
  Scenario s = dark_scenario(12000);
  set_param(s, Param::identification_self_report_rate_per_year, 20.0);
  set_param(s, Param::identification_self_report_recognition_labour, 0.25);
  set_param(s, Param::population_awareness_base, 0.5);
  set_param(s, Param::policy_protection_hotline, 1.0);
  set_param(s, Param::identification_hotline_rate_per_year, 0);
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e5);
  World w = test::make_world(s);
  exploit(w, 0, kVictims, Market::LabourConstruction);
  w.step = 1;
  run_identification(w);
  const double p = 1 - std::exp(-20.0 * 0.5 * w.step_years);
  const double recognised = identified(w, Channel::SelfReport);
  const double unrecognised =
      test::frame_total(w, Metric::victims_unrecognised, static_cast<std::size_t>(Channel::SelfReport));
  EXPECT_NEAR(recognised, kVictims * p * 0.25, test::binomial_tolerance(kVictims, p * 0.25));
  EXPECT_NEAR(unrecognised, kVictims * p * 0.75, test::binomial_tolerance(kVictims, p * 0.75));
  EXPECT_EQ(static_cast<double>(test::count_in(w, PersonState::Exploited)), kVictims - recognised);
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

}  // namespace
}  // namespace tipsim

// Person transitions (person_ops.cpp, person_ops.hpp): each keeps the world
// consistent and moves exactly the aggregates it should (the controller's
// victim count, the market count where the person is, the free count of
// their home, the shelter occupancy where they are); awareness decays as
// model.md says; susceptibility carries its factors.
#include "person_ops.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <ostream>
#include <vector>

#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::set_param;
using test::World;

// Every aggregate a transition may move, for comparing before and after.
struct Counts {
  std::vector<std::uint32_t> free, shelter, recovering;
  std::vector<std::array<std::uint32_t, kMarkets>> market;
  std::vector<std::uint16_t> victims;
  explicit Counts(const State& w) : victims(w.traffickers.victims) {
    for (const RegionState& rs : w.regions) {
      free.push_back(rs.free_persons);
      shelter.push_back(rs.shelter_occupied);
      recovering.push_back(rs.survivors_recovering);
      std::array<std::uint32_t, kMarkets> m{};
      for (std::size_t k = 0; k < kMarkets; ++k) m[k] = rs.market_victims[k];
      market.push_back(m);
    }
  }
  bool operator==(const Counts&) const = default;
};

// Readable failures: the counts, region by region.
void PrintTo(const Counts& c, std::ostream* os) {
  for (std::size_t r = 0; r < c.free.size(); ++r) {
    *os << "\n  region " << r << ": free " << c.free[r] << ", sheltered " << c.shelter[r] << ", recovering "
        << c.recovering[r] << ", markets";
    for (const std::uint32_t m : c.market[r]) *os << " " << m;
  }
  *os << "\n  trafficker victims";
  for (const std::uint16_t v : c.victims) *os << " " << v;
}

// Two regions of 500 persons each; no one trafficked yet.
Scenario two_regions() { return test::quiet_scenario(1000, 2); }

constexpr auto kSexual = static_cast<std::size_t>(Market::Sexual);
constexpr auto kConstruction = static_cast<std::size_t>(Market::LabourConstruction);

TEST(PersonOps, TakeRecruitMovesTheRecruitFromTheFreeToTheController) {
  World w = test::make_world(two_regions());
  const std::int32_t t = test::add_trafficker(w, 0, Method::DebtBased, Market::LabourConstruction, 5);
  const std::uint32_t i = 7;  // home region 0
  w.persons.flags[i] |= person_flag::kCrossedBorder;
  w.persons.times_trafficked[i] = 1;
  start_recovery(w, i);  // a survivor, not recovered
  Counts expected(w);
  --expected.free[0];
  --expected.recovering[0];                         // re-trafficked: no longer a survivor at liberty
  ++expected.victims[static_cast<std::size_t>(t)];  // the market is counted by movement, not here

  Stream stream = person_stream(w.model, w, Phase::Recruitment, i);
  take_recruit(w.model, w, i, t, Method::DebtBased, stream, 3);
  EXPECT_EQ(Counts(w), expected);
  const auto& p = w.persons;
  EXPECT_EQ(p.controller[i], t);
  EXPECT_EQ(p.market[i], kConstruction);
  EXPECT_EQ(p.method[i], static_cast<std::uint8_t>(Method::DebtBased));
  EXPECT_EQ(p.times_trafficked[i], 2);
  // A loan was taken: the documented initial debt, bonded, consented.
  EXPECT_EQ(p.debt[i], static_cast<float>(w.model.scenario.get(Param::recruitment_debt_initial_usd)));
  EXPECT_TRUE(p.flags[i] & person_flag::kDebtBonded);
  EXPECT_TRUE(p.flags[i] & person_flag::kConsentedInitially);
  // A new trafficking episode: the recovery and border flags go.
  EXPECT_FALSE(p.flags[i] & person_flag::kRecovering);
  EXPECT_FALSE(p.flags[i] & person_flag::kCrossedBorder);
  // As recruitment leaves them (state set by the caller): consistent.
  w.persons.state[i] = static_cast<std::uint8_t>(PersonState::Recruited);
  w.persons.state_since[i] = w.step;
  test::add_involved(w, i);
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::Exact, test::Markets::SkipNewRecruits));
}

TEST(PersonOps, TakeRecruitSetsConsentAndDebtByMethod) {
  Scenario s = two_regions();
  set_param(s, Param::recruitment_fee_charged_share, 1.0);
  set_param(s, Param::recruitment_family_consent_share, 1.0);
  test::set_regional(s, 1, Param::policy_prevention_recruitment_fee_ban, 1);
  World w = test::make_world(s);
  const double fee = s.get(Param::recruitment_fee_usd);
  struct Case {
    Method method;
    std::uint32_t person;  // 0-499 live in region 0, 500-999 in region 1 (fee ban)
    bool consented;
    double debt;
  };
  const Case cases[] = {
      {Method::DeceptiveJobOffer, 1, true, fee},  // the fee becomes a debt
      {Method::DeceptiveJobOffer, 501, true, 0},  // unless fees are banned at home
      {Method::Romance, 2, true, 0},
      {Method::FamilyOrAcquaintance, 3, true, 0},  // consent share 1
      {Method::Abduction, 4, false, 0},            // never consented
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.method));
    const std::size_t home = w.persons.home_region[c.person];
    const std::int32_t t = test::add_trafficker(w, home, c.method, Market::Sexual, 1);
    Stream stream = person_stream(w.model, w, Phase::Recruitment, c.person);
    take_recruit(w.model, w, c.person, t, c.method, stream, 3);
    EXPECT_EQ(static_cast<bool>(w.persons.flags[c.person] & person_flag::kConsentedInitially), c.consented);
    EXPECT_EQ(w.persons.debt[c.person], static_cast<float>(c.debt));
    EXPECT_EQ(static_cast<bool>(w.persons.flags[c.person] & person_flag::kDebtBonded), c.debt > 0);
  }
}

TEST(PersonOps, FamilyConsentAndFeesFollowTheirShares) {
  Scenario s = test::quiet_scenario(4000, 1);
  set_param(s, Param::recruitment_family_consent_share, 0.3);
  set_param(s, Param::recruitment_fee_charged_share, 0.6);
  World w = test::make_world(s);
  const std::int32_t family = test::add_trafficker(w, 0, Method::FamilyOrAcquaintance, Market::Sexual, 60000);
  const std::int32_t deceptive = test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::Sexual, 60000);
  const std::uint32_t n = 2000;
  double consented = 0, charged = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    Stream a = person_stream(w.model, w, Phase::Recruitment, i);
    take_recruit(w.model, w, i, family, Method::FamilyOrAcquaintance, a, 3);
    consented += (w.persons.flags[i] & person_flag::kConsentedInitially) ? 1 : 0;
    Stream b = person_stream(w.model, w, Phase::Recruitment, n + i);
    take_recruit(w.model, w, n + i, deceptive, Method::DeceptiveJobOffer, b, 3);
    charged += w.persons.debt[n + i] > 0 ? 1 : 0;
  }
  // Independent draws per person: binomial counts.
  EXPECT_NEAR(consented, n * 0.3, test::binomial_tolerance(n, 0.3));
  EXPECT_NEAR(charged, n * 0.6, test::binomial_tolerance(n, 0.6));
  EXPECT_EQ(w.regions[0].free_persons, 0u);
  EXPECT_EQ(w.traffickers.victims[static_cast<std::size_t>(family)], n);
}

TEST(PersonOps, FreeingAVictimAbroadReturnsThemHome) {
  World w = test::make_world(two_regions());
  const std::int32_t t = test::add_trafficker(w, 0, Method::DebtBased, Market::LabourConstruction, 5);
  const std::uint32_t i = 3, other = 4;
  test::make_exploited(w, i, t, /*destination=*/1);
  test::make_exploited(w, other, t, 1);
  w.persons.debt[i] = 100;
  w.persons.flags[i] |= person_flag::kDebtBonded | person_flag::kCooperating;
  w.persons.times_trafficked[i] = 1;
  w.step = 6;
  ASSERT_TRUE(test::world_is_consistent(w));
  Counts expected(w);
  ++expected.free[0];                               // free at home
  ++expected.recovering[0];                         // a survivor, not recovered yet
  --expected.market[1][kConstruction];              // out of the market where exploited
  --expected.victims[static_cast<std::size_t>(t)];  // out of the controller's hands

  free_from_trafficking(w, i, ExitRoute::Escaped);
  EXPECT_EQ(Counts(w), expected);
  const auto& p = w.persons;
  EXPECT_EQ(p.state[i], static_cast<std::uint8_t>(PersonState::Free));
  EXPECT_EQ(p.state_since[i], 6);
  EXPECT_EQ(p.current_region[i], 0);
  EXPECT_EQ(p.market[i], kNoMarket);
  EXPECT_EQ(p.controller[i], kNoTrafficker);
  EXPECT_EQ(p.debt[i], 0.0f);
  EXPECT_EQ(p.flags[i] & (person_flag::kDebtBonded | person_flag::kCooperating), 0);
  EXPECT_TRUE(p.flags[i] & person_flag::kCrossedBorder);  // history stays
  // A survivor: recovering, their route kept, and followed up by phase 10
  // (where it ended, abroad, times trafficked then).
  EXPECT_TRUE(p.flags[i] & person_flag::kRecovering);
  EXPECT_EQ(p.survivor[i], survivor_route_bits(ExitRoute::Escaped));
  ASSERT_EQ(w.survivor_exits.size(), 1u);
  EXPECT_EQ(w.survivor_exits[0], (SurvivorExit{i, static_cast<std::uint8_t>(ExitRoute::Escaped), /*region=*/1,
                                               /*times=*/1, true}));
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

TEST(PersonOps, FreeingAPersonInTransitLeavesTheDestinationMarket) {
  World w = test::make_world(two_regions());
  const std::int32_t t = test::add_trafficker(w, 1, Method::Romance, Market::Sexual, 5);
  const std::uint32_t i = 600;  // home region 1, on the way to region 0
  w.step = 2;
  test::make_in_transit(w, i, t, 0);
  ASSERT_TRUE(test::world_is_consistent(w));
  Counts expected(w);
  ++expected.free[1];
  ++expected.recovering[1];
  --expected.market[0][kSexual];
  --expected.victims[static_cast<std::size_t>(t)];
  free_from_trafficking(w, i, ExitRoute::Escaped);
  EXPECT_EQ(Counts(w), expected);
  EXPECT_EQ(w.persons.current_region[i], 1);
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

TEST(PersonOps, EnteringProtectionTakesAShelterPlaceWhereThePersonIs) {
  World w = test::make_world(two_regions());
  w.regions[1].shelter_capacity = 3;
  const std::int32_t t = test::add_trafficker(w, 0, Method::DebtBased, Market::LabourConstruction, 5);
  const std::uint32_t i = 10;
  test::make_exploited(w, i, t, 1);
  w.persons.debt[i] = 50;
  w.persons.flags[i] |= person_flag::kDebtBonded;
  w.step = 4;
  Counts expected(w);
  ++expected.shelter[1];
  --expected.market[1][kConstruction];
  --expected.victims[static_cast<std::size_t>(t)];

  enter_protection(w, i);
  EXPECT_EQ(Counts(w), expected);  // and the free count does not move
  const auto& p = w.persons;
  EXPECT_EQ(p.state[i], static_cast<std::uint8_t>(PersonState::InProtection));
  EXPECT_EQ(p.state_since[i], 4);
  EXPECT_EQ(p.current_region[i], 1);  // sheltered where found
  EXPECT_EQ(p.market[i], kConstruction);
  EXPECT_EQ(p.controller[i], kNoTrafficker);
  EXPECT_EQ(p.debt[i], 0.0f);
  EXPECT_FALSE(p.flags[i] & person_flag::kDebtBonded);
  EXPECT_EQ(p.survivor[i], survivor_bits::kAssisted | survivor_route_bits(ExitRoute::Protected));
  ASSERT_EQ(w.survivor_exits.size(), 1u);
  EXPECT_EQ(w.survivor_exits[0].route, static_cast<std::uint8_t>(ExitRoute::Protected));
  EXPECT_TRUE(test::world_is_consistent(w));
}

TEST(PersonOps, LeavingProtectionFreesThePlaceAndGoesHome) {
  World w = test::make_world(two_regions());
  w.regions[1].shelter_capacity = 3;
  const std::uint32_t i = 11;
  test::make_in_protection(w, i, 1, Market::DomesticServitude, 0);
  w.persons.flags[i] |= person_flag::kCooperating;
  w.step = 9;
  Counts expected(w);
  --expected.shelter[1];
  ++expected.free[0];
  ++expected.recovering[0];  // home, recovering until reintegration or time ends it

  leave_protection(w, i);
  EXPECT_EQ(Counts(w), expected);
  const auto& p = w.persons;
  EXPECT_EQ(p.state[i], static_cast<std::uint8_t>(PersonState::Free));
  EXPECT_EQ(p.state_since[i], 9);
  EXPECT_EQ(p.current_region[i], 0);
  EXPECT_EQ(p.market[i], kNoMarket);
  EXPECT_FALSE(p.flags[i] & person_flag::kCooperating);
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

// A woman, a child, exploited abroad in region 1 by a trafficker of region 0.
struct Identified {
  World w;
  std::int32_t t;
  std::uint32_t i = 20;
  float vulnerability = 0.4f;
  Identified(const Scenario& s, Market market, std::uint32_t beds) : w(test::make_world(s)) {
    w.regions[1].shelter_capacity = beds;
    t = test::add_trafficker(w, 0, Method::Romance, market, 5);
    test::make_exploited(w, i, t, 1);
    w.persons.flags[i] |= person_flag::kFemale | person_flag::kChild;
    w.persons.vulnerability[i] = vulnerability;
  }
  void identify(Channel channel) {
    Stream stream = person_stream(w.model, w, Phase::Identification, i);
    handle_identified(w.model, w, w, i, channel, stream, 2);
  }
  double metric(Metric m, std::size_t category = 0) { return w.metric(m, 1, category); }
};

TEST(PersonOps, AnIdentifiedVictimWithAPlaceIsShelteredAndCounted) {
  Scenario s = two_regions();
  set_param(s, Param::protection_cooperation_sheltered, 1.0);
  Identified x(s, Market::Sexual, 1);
  Counts expected(x.w);
  ++expected.shelter[1];
  --expected.market[1][kSexual];
  --expected.victims[static_cast<std::size_t>(x.t)];
  x.identify(Channel::NgoOutreach);
  EXPECT_EQ(Counts(x.w), expected);
  EXPECT_EQ(x.w.persons.state[x.i], static_cast<std::uint8_t>(PersonState::InProtection));
  EXPECT_TRUE(x.w.persons.flags[x.i] & person_flag::kCooperating);
  // Counted once, in the region of identification.
  EXPECT_EQ(x.metric(Metric::identifications_by_channel, static_cast<std::size_t>(Channel::NgoOutreach)), 1);
  EXPECT_EQ(test::frame_total(x.w, Metric::identifications_by_channel), 1);
  EXPECT_EQ(x.metric(Metric::identified_by_form, static_cast<std::size_t>(Form::Sexual)), 1);
  EXPECT_EQ(x.metric(Metric::identified_female), 1);
  EXPECT_EQ(x.metric(Metric::identified_children), 1);
  EXPECT_EQ(x.metric(Metric::identified_abroad), 1);
  EXPECT_EQ(x.metric(Metric::protection_entries), 1);
  EXPECT_EQ(x.metric(Metric::victims_cooperating), 1);
  EXPECT_EQ(test::frame_total(x.w, Metric::protection_turned_away), 0);
  EXPECT_EQ(test::frame_total(x.w, Metric::identified_victims_punished), 0);
  EXPECT_EQ(test::frame_total(x.w, Metric::victims_punished), 0);
  // Evidence: identification plus cooperation.
  EXPECT_EQ(x.w.traffickers.evidence[static_cast<std::size_t>(x.t)],
            static_cast<float>(s.get(Param::prosecution_evidence_per_identification) +
                               s.get(Param::prosecution_evidence_per_cooperation)));
  EXPECT_EQ(x.w.persons.vulnerability[x.i], x.vulnerability);
  EXPECT_TRUE(test::world_is_consistent(x.w));
}

TEST(PersonOps, AnIdentifiedVictimWithoutAPlaceIsTurnedAwayHome) {
  Scenario s = two_regions();
  set_param(s, Param::protection_cooperation_unsheltered, 0.0);
  Identified x(s, Market::LabourConstruction, 0);
  Counts expected(x.w);
  ++expected.free[0];
  ++expected.recovering[0];  // home without services: a survivor recovering
  --expected.market[1][kConstruction];
  --expected.victims[static_cast<std::size_t>(x.t)];
  x.identify(Channel::LabourInspection);
  EXPECT_EQ(Counts(x.w), expected);
  EXPECT_EQ(x.w.persons.state[x.i], static_cast<std::uint8_t>(PersonState::Free));
  EXPECT_EQ(x.metric(Metric::identified_by_form, static_cast<std::size_t>(Form::Labour)), 1);
  EXPECT_EQ(x.metric(Metric::protection_turned_away), 1);
  EXPECT_EQ(x.metric(Metric::protection_entries), 0);
  EXPECT_EQ(x.metric(Metric::victims_cooperating), 0);
  EXPECT_EQ(x.w.traffickers.evidence[static_cast<std::size_t>(x.t)],
            static_cast<float>(s.get(Param::prosecution_evidence_per_identification)));
  // Released without services: vulnerability rises by its share of the gap.
  const double share = s.get(Param::protection_unserved_vulnerability_increase);
  EXPECT_FLOAT_EQ(x.w.persons.vulnerability[x.i], static_cast<float>(0.4f + share * (1 - 0.4f)));
  EXPECT_TRUE(test::world_is_consistent(x.w, test::Involved::MayHoldFree));
}

TEST(PersonOps, WithoutNonPunishmentForcedCriminalityIsRecordedAsIdentifiedThenPunished) {
  Scenario s = two_regions();
  // Punishment follows the levers where the victim is found (region 1).
  test::set_regional(s, 1, Param::policy_protection_non_punishment, 0);
  Identified x(s, Market::ForcedCriminality, 5);
  Counts expected(x.w);
  ++expected.free[0];
  ++expected.recovering[0];
  --expected.market[1][static_cast<std::size_t>(Market::ForcedCriminality)];
  --expected.victims[static_cast<std::size_t>(x.t)];
  x.identify(Channel::Police);
  EXPECT_EQ(Counts(x.w), expected);  // no shelter place although five are free
  // The agency knows whom it identified and then punished: both are recorded.
  EXPECT_EQ(x.metric(Metric::identified_victims_punished), 1);
  EXPECT_EQ(x.metric(Metric::victims_punished), 1);
  EXPECT_EQ(x.metric(Metric::identified_by_form, static_cast<std::size_t>(Form::ForcedCriminality)), 1);
  EXPECT_EQ(x.metric(Metric::identifications_by_channel, static_cast<std::size_t>(Channel::Police)), 1);
  EXPECT_EQ(test::frame_total(x.w, Metric::protection_entries), 0);
  EXPECT_TRUE(x.w.persons.flags[x.i] & person_flag::kCriminalised);
  const double share = s.get(Param::protection_criminalised_vulnerability_increase);
  EXPECT_FLOAT_EQ(x.w.persons.vulnerability[x.i], static_cast<float>(0.4f + share * (1 - 0.4f)));
  EXPECT_TRUE(test::world_is_consistent(x.w, test::Involved::MayHoldFree));
}

TEST(PersonOps, NoEvidenceAgainstAControllerAlreadyInPrison) {
  Scenario s = two_regions();
  set_param(s, Param::protection_cooperation_sheltered, 1.0);
  Identified x(s, Market::Sexual, 1);
  x.w.traffickers.state[static_cast<std::size_t>(x.t)] =
      static_cast<std::uint8_t>(TraffickerState::Incarcerated);
  x.identify(Channel::Investigation);
  EXPECT_EQ(x.w.traffickers.evidence[static_cast<std::size_t>(x.t)], 0.0f);
  EXPECT_EQ(x.metric(Metric::identifications_by_channel, static_cast<std::size_t>(Channel::Investigation)),
            1);
  EXPECT_EQ(x.w.traffickers.victims[static_cast<std::size_t>(x.t)], 0);
}

TEST(PersonOps, AwarenessDecaysExponentiallyToTheRegionalBase) {
  Scenario s = test::quiet_scenario(100, 1);
  set_param(s, Param::scenario_step_days, 36.5);  // a tenth of a year per step
  set_param(s, Param::population_awareness_base, 0.2);
  set_param(s, Param::prevention_awareness_decay_per_year, 0.3);
  World w = test::make_world(s);
  const std::uint32_t i = 5;
  EXPECT_DOUBLE_EQ(awareness_now(w, i), 0.2);  // no campaign yet: the base
  w.step = 10;
  set_awareness(w, i, 0.8);
  EXPECT_FLOAT_EQ(w.persons.awareness_boost[i], 0.6f);
  EXPECT_EQ(w.persons.awareness_step[i], 10);
  // The boost is a float: its rounding (< 3e-8) is the only error allowed.
  constexpr double kFloat = 3e-8;
  // base + boost x e^(-decay x years since it was set), years = steps / 10.
  for (const int k : {0, 1, 10, 37, 231}) {
    w.step = 10 + k;
    EXPECT_NEAR(awareness_now(w, i), 0.2 + 0.6 * std::exp(-0.3 * k / 10.0), kFloat) << k << " steps on";
  }
  w.step = 20;  // one year on: 0.2 + 0.6 e^-0.3, by hand
  EXPECT_NEAR(awareness_now(w, i), 0.644490932, kFloat);
  // Setting awareness below the base leaves just the base.
  set_awareness(w, i, 0.1);
  EXPECT_EQ(w.persons.awareness_boost[i], 0.0f);
  EXPECT_DOUBLE_EQ(awareness_now(w, i), 0.2);
  // The base is the home region's lever in force; the sum is capped at 1.
  w.persons.awareness_boost[i] = 0.5f;
  w.persons.awareness_step[i] = w.step;
  w.regions[0].levers[Param::population_awareness_base] = 0.7;
  EXPECT_DOUBLE_EQ(awareness_now(w, i), 1.0);
}

TEST(PersonOps, SusceptibilityIsVulnerabilityToAPowerTimesItsFactors) {
  Scenario s = test::quiet_scenario(100, 1);
  set_param(s, Param::recruitment_vulnerability_exponent, 1.5);
  set_param(s, Param::recruitment_child_susceptibility, 1.3);
  set_param(s, Param::recruitment_retrafficking_factor, 2.5);
  World w = test::make_world(s);
  auto& p = w.persons;
  const std::uint32_t i = 1;
  auto reset = [&] {
    p.vulnerability[i] = 0.25f;
    p.flags[i] = 0;
    p.times_trafficked[i] = 0;
  };
  const double base = 0.125;  // 0.25^1.5
  reset();
  EXPECT_DOUBLE_EQ(susceptibility(w.model, w, i), base);
  p.flags[i] |= person_flag::kFemale;  // sex alone changes nothing
  EXPECT_DOUBLE_EQ(susceptibility(w.model, w, i), base);
  reset();
  p.flags[i] |= person_flag::kChild;
  EXPECT_DOUBLE_EQ(susceptibility(w.model, w, i), base * 1.3);
  reset();
  p.times_trafficked[i] = 1;  // trafficked before and recovered: no penalty
  EXPECT_DOUBLE_EQ(susceptibility(w.model, w, i), base);
  p.flags[i] |= person_flag::kRecovering;  // not recovered: the penalty
  EXPECT_DOUBLE_EQ(susceptibility(w.model, w, i), base * 2.5);
  p.flags[i] = person_flag::kChild | person_flag::kRecovering;
  EXPECT_DOUBLE_EQ(susceptibility(w.model, w, i), base * 1.3 * 2.5);
  EXPECT_DOUBLE_EQ(max_susceptibility(s.globals), 1.3 * 2.5);
  // Factors below 1 never lower the bound under 1.
  s.globals[Param::recruitment_child_susceptibility] = 0.5;
  EXPECT_DOUBLE_EQ(max_susceptibility(s.globals), 2.5);
}

}  // namespace
}  // namespace tipsim

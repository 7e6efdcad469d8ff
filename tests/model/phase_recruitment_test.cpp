// Phase 4 (phase_recruitment.cpp): free persons face a hazard from the
// contact pressure of active traffickers with spare capacity, shaped by
// vulnerability, awareness (which defeats deception far more than
// abduction), history and deterrence; recruits are assigned within capacity
// and take the trafficker's market and the method's flags.
#include <gtest/gtest.h>

#include <cmath>

#include "person_ops.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::World;

using test::set_param;

double recruitments(const World& w, Method m) {
  return test::frame_total(w, Metric::recruitments_by_method, static_cast<std::size_t>(m));
}

// A world in which traffickers contact everyone many times a step, so every
// free person with some vulnerability is a candidate.
Scenario eager_scenario(std::uint32_t persons) {
  Scenario s = test::quiet_scenario(persons);
  set_param(s, Param::traffickers_contacts_per_slot_per_year, 1e6);
  return s;
}

TEST(Recruitment, NoTraffickersNoRecruits) {
  Scenario s = eager_scenario(20000);
  World w = test::make_world(s);
  const Persons before = w.persons;
  run_recruitment(w);
  EXPECT_EQ(w.persons.state, before.state);
  EXPECT_TRUE(w.involved.empty());
  EXPECT_EQ(test::frame_total(w, Metric::recruitments_by_method), 0.0);
}

TEST(Recruitment, OnlyActiveTraffickersRecruit) {
  Scenario s = eager_scenario(5000);
  World w = test::make_world(s);
  const std::int32_t jailed = test::add_trafficker(w, 0, Method::Abduction, Market::Sexual, 50);
  const std::int32_t retired = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 50);
  w.traffickers.state[jailed] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
  w.traffickers.state[retired] = static_cast<std::uint8_t>(TraffickerState::Desisted);
  run_recruitment(w);
  EXPECT_EQ(test::count_in(w, PersonState::Recruited), 0u);
}

TEST(Recruitment, TraffickersNeverExceedTheirCapacity) {
  Scenario s = eager_scenario(4000);
  World w = test::make_world(s);
  std::vector<std::int32_t> traffickers;
  for (std::uint16_t capacity = 1; capacity <= 5; ++capacity)
    traffickers.push_back(test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::Sexual, capacity));
  // One already full: it must not recruit at all.
  const std::int32_t full = test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::Sexual, 2);
  test::make_exploited(w, 0, full);
  test::make_exploited(w, 1, full);

  run_recruitment(w);

  // Far more candidates than places: every place is filled, none overfilled.
  for (std::size_t k = 0; k < traffickers.size(); ++k)
    EXPECT_EQ(w.traffickers.victims[traffickers[k]], w.traffickers.capacity[traffickers[k]]);
  EXPECT_EQ(w.traffickers.victims[full], 2);
  EXPECT_EQ(test::count_in(w, PersonState::Recruited), 15u);
  EXPECT_EQ(recruitments(w, Method::DeceptiveJobOffer), 15.0);
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::Exact, test::Markets::SkipNewRecruits));
}

// Recruits of a single trafficker of the given method and market.
struct OneRecruiter {
  Scenario s = eager_scenario(3000);
  World w;
  std::int32_t t = 0;
  std::vector<std::uint32_t> recruits;
  OneRecruiter(Method method, Market market, bool fee_ban = false) {
    set_param(s, Param::policy_prevention_recruitment_fee_ban, fee_ban ? 1.0 : 0.0);
    w = test::make_world(s);
    w.step = 4;
    t = test::add_trafficker(w, 0, method, market, 800);
    run_recruitment(w);
    recruits = test::persons_in(w, PersonState::Recruited);
  }
  std::size_t with_flag(std::uint8_t flag) const {
    std::size_t n = 0;
    for (std::uint32_t i : recruits) n += (w.persons.flags[i] & flag) ? 1 : 0;
    return n;
  }
};

TEST(Recruitment, RecruitsTakeTheTraffickersMarketAndMethod) {
  OneRecruiter r(Method::Romance, Market::LabourConstruction);
  ASSERT_EQ(r.recruits.size(), 800u);
  for (std::uint32_t i : r.recruits) {
    const auto& p = r.w.persons;
    EXPECT_EQ(p.controller[i], r.t);
    EXPECT_EQ(p.market[i], static_cast<std::uint8_t>(Market::LabourConstruction));
    EXPECT_EQ(p.method[i], static_cast<std::uint8_t>(Method::Romance));
    EXPECT_EQ(p.state_since[i], 4);
    EXPECT_EQ(p.times_trafficked[i], 1);
    EXPECT_EQ(p.current_region[i], p.home_region[i]) << "movement, not recruitment, moves people";
    EXPECT_EQ(p.debt[i], 0.0f);
  }
  // A relationship was accepted at first.
  EXPECT_EQ(r.with_flag(person_flag::kConsentedInitially), r.recruits.size());
  EXPECT_EQ(r.with_flag(person_flag::kDebtBonded), 0u);
  EXPECT_TRUE(test::world_is_consistent(r.w, test::Involved::Exact, test::Markets::SkipNewRecruits));
}

TEST(Recruitment, DebtBasedRecruitsStartWithTheDebt) {
  OneRecruiter r(Method::DebtBased, Market::LabourAgriculture);
  ASSERT_FALSE(r.recruits.empty());
  for (std::uint32_t i : r.recruits)
    EXPECT_EQ(r.w.persons.debt[i], static_cast<float>(r.s.get(Param::recruitment_debt_initial_usd)));
  EXPECT_EQ(r.with_flag(person_flag::kDebtBonded), r.recruits.size());
  EXPECT_EQ(r.with_flag(person_flag::kConsentedInitially), r.recruits.size());
}

TEST(Recruitment, AbductionIsNeverConsented) {
  OneRecruiter r(Method::Abduction, Market::Sexual);
  ASSERT_FALSE(r.recruits.empty());
  EXPECT_EQ(r.with_flag(person_flag::kConsentedInitially), 0u);
  EXPECT_EQ(r.with_flag(person_flag::kDebtBonded), 0u);
}

TEST(Recruitment, DeceptiveOffersChargeTheFeeUnlessBanned) {
  OneRecruiter r(Method::DeceptiveJobOffer, Market::LabourManufacturing);
  const double n = static_cast<double>(r.recruits.size());
  const double share = r.s.get(Param::recruitment_fee_charged_share);
  EXPECT_EQ(r.with_flag(person_flag::kConsentedInitially), r.recruits.size());
  EXPECT_NEAR(static_cast<double>(r.with_flag(person_flag::kDebtBonded)), n * share,
              test::binomial_tolerance(n, share));
  for (std::uint32_t i : r.recruits) {
    const bool bonded = r.w.persons.flags[i] & person_flag::kDebtBonded;
    EXPECT_EQ(r.w.persons.debt[i], bonded ? static_cast<float>(r.s.get(Param::recruitment_fee_usd)) : 0.0f);
  }
  OneRecruiter banned(Method::DeceptiveJobOffer, Market::LabourManufacturing, /*fee_ban=*/true);
  ASSERT_FALSE(banned.recruits.empty());
  EXPECT_EQ(banned.with_flag(person_flag::kDebtBonded), 0u);
}

TEST(Recruitment, FamilyRecruitsSometimesConsented) {
  OneRecruiter r(Method::FamilyOrAcquaintance, Market::DomesticServitude);
  const double n = static_cast<double>(r.recruits.size());
  const double share = r.s.get(Param::recruitment_family_consent_share);
  EXPECT_NEAR(static_cast<double>(r.with_flag(person_flag::kConsentedInitially)), n * share,
              test::binomial_tolerance(n, share));
}

// A world of identical people (vulnerability 1/2, adults, never trafficked)
// facing one deceptive and one abducting trafficker of ample capacity, so
// that the recruitments per method follow a closed form.
struct Pressure {
  static constexpr std::uint32_t kPersons = 50000;
  static constexpr std::uint16_t kCapacity = 60000;
  Scenario s = test::quiet_scenario(kPersons);
  World w;
  explicit Pressure(double awareness, double perceived_risk = 0.0) {
    set_param(s, Param::population_awareness_base, awareness);
    set_param(s, Param::population_child_share, 0.0);
    w = test::make_world(s);
    for (float& v : w.persons.vulnerability) v = 0.5f;
    test::set_perceived_risk(w, 0, perceived_risk);
    test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::Sexual, kCapacity);
    test::add_trafficker(w, 0, Method::Abduction, Market::Sexual, kCapacity);
  }
  // Expected recruitments by method: each person is recruited with
  // probability 1 - exp(-H) and by method k with share h_k / H, where
  // h_k = contacts dt x spare / free x deterrence(risk) x v^exponent x
  // (1 - awareness x shield_k).
  double expected(Method m, double awareness, double perceived_risk, std::uint32_t factor_persons = kPersons,
                  double factor = 1.0) const {
    const double rate = s.get(Param::traffickers_contacts_per_slot_per_year) * w.step_years * kCapacity /
                        kPersons * deterrence(s.globals, perceived_risk);
    const double base = std::pow(0.5, s.get(Param::recruitment_vulnerability_exponent)) * factor;
    const double h_deceptive =
        rate * base * (1 - awareness * s.get(Param::recruitment_awareness_shield_deceptive));
    const double h_abduction =
        rate * base * (1 - awareness * s.get(Param::recruitment_awareness_shield_abduction));
    const double total = h_deceptive + h_abduction;
    const double h = m == Method::DeceptiveJobOffer ? h_deceptive : h_abduction;
    return factor_persons * -std::expm1(-total) * h / total;
  }
};

TEST(Recruitment, RecruitmentsPerMethodFollowTheContactHazard) {
  Pressure world(0.0);
  run_recruitment(world.w);
  for (Method m : {Method::DeceptiveJobOffer, Method::Abduction}) {
    const double mean = world.expected(m, 0.0, 0.0);
    EXPECT_NEAR(recruitments(world.w, m), mean,
                test::binomial_tolerance(Pressure::kPersons, mean / Pressure::kPersons))
        << static_cast<int>(m);
  }
  EXPECT_EQ(recruitments(world.w, Method::Romance), 0.0);
}

TEST(Recruitment, AwarenessDefeatsDeceptionFarMoreThanAbduction) {
  Pressure unaware(0.0), aware(1.0);
  run_recruitment(unaware.w);
  run_recruitment(aware.w);
  for (Method m : {Method::DeceptiveJobOffer, Method::Abduction}) {
    const double mean = aware.expected(m, 1.0, 0.0);
    EXPECT_NEAR(recruitments(aware.w, m), mean,
                test::binomial_tolerance(Pressure::kPersons, mean / Pressure::kPersons))
        << static_cast<int>(m);
  }
  // Full awareness cuts deceptive offers to about a fifth, abduction barely.
  const double deceptive_ratio =
      recruitments(aware.w, Method::DeceptiveJobOffer) / recruitments(unaware.w, Method::DeceptiveJobOffer);
  const double abduction_ratio =
      recruitments(aware.w, Method::Abduction) / recruitments(unaware.w, Method::Abduction);
  EXPECT_LT(deceptive_ratio, 0.3);
  EXPECT_GT(abduction_ratio, 0.85);
}

TEST(Recruitment, PerceivedRiskDetersRecruiting) {
  Pressure deterred(0.0, /*perceived_risk=*/1.0);
  run_recruitment(deterred.w);
  for (Method m : {Method::DeceptiveJobOffer, Method::Abduction}) {
    const double mean = deterred.expected(m, 0.0, 1.0);
    EXPECT_NEAR(recruitments(deterred.w, m), mean,
                test::binomial_tolerance(Pressure::kPersons, mean / Pressure::kPersons));
  }
}

TEST(Recruitment, TraffickersAreDeterredByTheRiskInTheirOwnMarketOnly) {
  // Both traffickers supply sexual exploitation: convictions seen in forced
  // labour leave their recruiting as it is, the same risk in their own
  // market cuts it by deterrence(risk).
  for (const bool own_market : {false, true}) {
    SCOPED_TRACE(own_market ? "risk in their market" : "risk in another market");
    Pressure world(0.0);
    const Market seen = own_market ? Market::Sexual : Market::LabourConstruction;
    world.w.regions[0].perceived_risk[static_cast<std::size_t>(seen)] = 0.01;
    run_recruitment(world.w);
    for (Method m : {Method::DeceptiveJobOffer, Method::Abduction}) {
      const double mean = world.expected(m, 0.0, own_market ? 0.01 : 0.0);
      EXPECT_NEAR(recruitments(world.w, m), mean,
                  test::binomial_tolerance(Pressure::kPersons, mean / Pressure::kPersons));
    }
  }
}

TEST(Recruitment, SurvivorsAreMoreSusceptibleUntilTheyRecover) {
  // First half: trafficked before, not recovered; second half: trafficked
  // before and recovered (no penalty).
  Pressure world(0.0);
  auto& p = world.w.persons;
  const std::uint32_t half = Pressure::kPersons / 2;
  for (std::uint32_t i = 0; i < Pressure::kPersons; ++i) {
    p.times_trafficked[i] = 1;
    p.survivor[i] = survivor_route_bits(i < half ? ExitRoute::Escaped : ExitRoute::Protected);
    if (i < half) start_recovery(world.w, i);
  }
  run_recruitment(world.w);
  double first = 0, second = 0, retrafficked_metric = world.w.metric(Metric::recruitments_retrafficked, 0);
  for (std::uint32_t i : world.w.involved) (i < half ? first : second) += 1;
  const double factor = world.s.get(Param::recruitment_retrafficking_factor);
  const double expected_first = world.expected(Method::DeceptiveJobOffer, 0, 0, half, factor) +
                                world.expected(Method::Abduction, 0, 0, half, factor);
  const double expected_second =
      world.expected(Method::DeceptiveJobOffer, 0, 0, half) + world.expected(Method::Abduction, 0, 0, half);
  EXPECT_NEAR(first, expected_first, test::binomial_tolerance(half, expected_first / half));
  EXPECT_NEAR(second, expected_second, test::binomial_tolerance(half, expected_second / half));
  EXPECT_EQ(retrafficked_metric, first + second);
  // Re-trafficking counted by how each one's last trafficking ended.
  EXPECT_EQ(world.w.metric(Metric::retrafficked_by_exit, 0, static_cast<std::size_t>(ExitRoute::Escaped)),
            first);
  EXPECT_EQ(world.w.metric(Metric::retrafficked_by_exit, 0, static_cast<std::size_t>(ExitRoute::Protected)),
            second);
  // A new recruitment ends the spell at liberty: not recovering, not counted.
  for (std::uint32_t i : world.w.involved) EXPECT_FALSE(p.flags[i] & person_flag::kRecovering);
  EXPECT_EQ(world.w.regions[0].survivors_recovering, half - static_cast<std::uint32_t>(first));
}

TEST(Recruitment, NobodyIsRecruitedTwiceOrWhileTrafficked) {
  Scenario s = eager_scenario(3000);
  World w = test::make_world(s);
  const std::int32_t a = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2000);
  const std::int32_t b = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 10);
  for (std::uint32_t i = 0; i < 10; ++i) test::make_exploited(w, i, b);
  w.regions[0].shelter_capacity = 1;
  test::make_in_protection(w, 20, 0, Market::Sexual, 0);
  run_recruitment(w);
  for (std::uint32_t i = 0; i < 10; ++i) EXPECT_EQ(w.persons.controller[i], b);
  EXPECT_EQ(w.persons.state[20], static_cast<std::uint8_t>(PersonState::InProtection));
  EXPECT_LE(w.traffickers.victims[a], 2000);
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::Exact, test::Markets::SkipNewRecruits));
}

TEST(Recruitment, RecruitingEffortIsWeightedByTheUnmetShareOfTheMarket) {
  // Spare capacity counts with the pull U of its market: a market whose
  // demand is three quarters met gets a quarter of the contacts. U scales
  // every hazard, as a factor on susceptibility would.
  Pressure world(0.0);
  world.w.regions[0].market_pull[static_cast<std::size_t>(Market::Sexual)] = 0.25;
  run_recruitment(world.w);
  for (Method m : {Method::DeceptiveJobOffer, Method::Abduction}) {
    const double mean = world.expected(m, 0.0, 0.0, Pressure::kPersons, 0.25);
    EXPECT_NEAR(recruitments(world.w, m), mean,
                test::binomial_tolerance(Pressure::kPersons, mean / Pressure::kPersons))
        << static_cast<int>(m);
  }
}

TEST(Recruitment, AFeeBanWeakensDeceptiveOffersButNotAbduction) {
  // phi = 1 - FB x eta_fee for deceptive and debt-based recruiting, 1 for
  // the other methods; each person is recruited with probability
  // 1 - exp(-H), by method k with share h_k / H.
  Pressure world(0.0);
  set_param(world.s, Param::policy_prevention_recruitment_fee_ban, 1.0);
  test::recompile(world.w, world.s);
  apply_policy_schedule(world.w);
  run_recruitment(world.w);
  const Scenario& s = world.s;
  const double h = s.get(Param::traffickers_contacts_per_slot_per_year) * world.w.step_years *
                   Pressure::kCapacity / Pressure::kPersons *
                   std::pow(0.5, s.get(Param::recruitment_vulnerability_exponent));
  const double h_deceptive = h * (1 - s.get(Param::prevention_fee_ban_effect)), h_abduction = h;
  const double total = h_deceptive + h_abduction;
  for (Method m : {Method::DeceptiveJobOffer, Method::Abduction}) {
    const double share = (m == Method::DeceptiveJobOffer ? h_deceptive : h_abduction) / total;
    const double p = -std::expm1(-total) * share;
    EXPECT_NEAR(recruitments(world.w, m), Pressure::kPersons * p,
                test::binomial_tolerance(Pressure::kPersons, p))
        << static_cast<int>(m);
  }
}

TEST(Recruitment, DeceptiveOffersChargeTheFeeWithTheConfiguredShare) {
  Scenario s = eager_scenario(3000);
  set_param(s, Param::recruitment_fee_charged_share, 0.2);
  World w = test::make_world(s);
  test::add_trafficker(w, 0, Method::DeceptiveJobOffer, Market::LabourOther, 800);
  run_recruitment(w);
  const auto recruits = test::persons_in(w, PersonState::Recruited);
  ASSERT_EQ(recruits.size(), 800u);
  double bonded = 0;
  for (std::uint32_t i : recruits) bonded += (w.persons.flags[i] & person_flag::kDebtBonded) ? 1 : 0;
  EXPECT_NEAR(bonded, 800 * 0.2, test::binomial_tolerance(800, 0.2));
}

}  // namespace
}  // namespace tipsim

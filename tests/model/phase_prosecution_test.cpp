// Phase 8 (phase_prosecution.cpp): each region investigates up to its
// capacity of active traffickers, chosen in proportion to evidence plus a
// base visibility; investigations become prosecutions and convictions with
// probabilities that grow with evidence and shrink with corruption; the
// convicted go to prison, their victims are freed and identified, and
// convictions feed the region's perceived risk.
#include <gtest/gtest.h>

#include <cmath>

#include "person_ops.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::World;

using test::set_param;

double cases(const World& w, Metric m) { return test::frame_total(w, m); }
double identified_total(const World& w) { return test::frame_total(w, Metric::identifications_by_channel); }

void prosecution_at(World& w, std::int32_t step) {
  w.step = step;
  std::fill(w.frame.begin(), w.frame.end(), 0.0);
  run_prosecution(w);
}

// Every active trafficker investigated, prosecuted and convicted.
Scenario certain_justice(std::uint32_t persons, std::size_t regions = 1) {
  Scenario s = test::quiet_scenario(persons, regions);
  set_param(s, Param::prosecution_investigations_per_investigator_per_year, 1e6);
  set_param(s, Param::prosecution_prosecution_base, 1.0);
  set_param(s, Param::prosecution_conviction_base, 1.0);
  set_param(s, Param::institutions_corruption, 0.0);
  return s;
}

TEST(Prosecution, SentencesKeepTheirMeanInYearsAtAnyStepLength) {
  // 1.1 years at weekly steps is 57.36 steps: 57 or 58, 58 with probability
  // 0.36, a mean of 1.1 years; at daily steps, 401.5 steps.
  for (const double step_days : {7.0, 1.0}) {
    SCOPED_TRACE(step_days);
    Scenario s = certain_justice(20000);
    set_param(s, Param::scenario_step_days, step_days);
    set_param(s, Param::policy_prosecution_investigators_per_100k, 1e4);
    set_param(s, Param::policy_prosecution_sentence_years, 1.1);
    World w = test::make_world(s);
    constexpr int kTraffickers = 4000;
    for (int k = 0; k < kTraffickers; ++k) test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 3);
    prosecution_at(w, 3);
    ASSERT_EQ(cases(w, Metric::convictions), kTraffickers);
    const double steps = 1.1 / w.step_years;
    double longer = 0;
    for (std::int32_t t = 0; t < kTraffickers; ++t) {
      const std::int32_t sentence = w.traffickers.sentence_remaining[static_cast<std::size_t>(t)];
      ASSERT_TRUE(sentence == std::floor(steps) || sentence == std::ceil(steps)) << sentence;
      longer += sentence == std::ceil(steps) ? 1 : 0;
    }
    const double p = steps - std::floor(steps);
    EXPECT_NEAR(longer, kTraffickers * p, test::binomial_tolerance(kTraffickers, p));
  }
}

TEST(Prosecution, ZeroInvestigatorsNoInvestigationsNoConvictions) {
  Scenario s = certain_justice(10000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 0);
  World w = test::make_world(s);
  for (int k = 0; k < 100; ++k) {
    const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 3);
    w.traffickers.evidence[t] = 50.0f;
  }
  for (std::int32_t step = 0; step < 30; ++step) {
    prosecution_at(w, step);
    ASSERT_EQ(cases(w, Metric::investigations), 0.0);
    ASSERT_EQ(cases(w, Metric::convictions), 0.0);
  }
  for (std::uint8_t state : w.traffickers.state)
    EXPECT_EQ(state, static_cast<std::uint8_t>(TraffickerState::Active));
  for (double risk : w.regions[0].perceived_risk) EXPECT_EQ(risk, 0.0);
}

TEST(Prosecution, ConvictedTraffickersAreIncarceratedAndTheirVictimsIdentified) {
  Scenario s = certain_justice(20000, 2);
  test::set_regional(s, 1, Param::policy_prosecution_investigators_per_100k,
                     0);                                             // region 1 does not investigate
  set_param(s, Param::policy_protection_shelter_beds_per_100k, 50);  // 5 places per region
  World w = test::make_world(s);
  const std::int32_t convicted = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 20);
  const std::int32_t untouched = test::add_trafficker(w, 1, Method::Romance, Market::Sexual, 20);
  for (std::uint32_t i = 0; i < 8; ++i) test::make_exploited(w, i, convicted);
  test::make_in_transit(w, 8, convicted, 1);  // on the way abroad: freed too
  for (std::uint32_t i = 10000; i < 10004; ++i) test::make_exploited(w, i, untouched);
  w.traffickers.evidence[convicted] = 3.0f;

  prosecution_at(w, 6);

  EXPECT_EQ(w.traffickers.state[convicted], static_cast<std::uint8_t>(TraffickerState::Incarcerated));
  // 4 years are 208.6 weekly steps: 208 or 209 of them (the mean is checked below).
  const double sentence = s.get(Param::policy_prosecution_sentence_years) / w.step_years;
  EXPECT_TRUE(w.traffickers.sentence_remaining[convicted] == std::floor(sentence) ||
              w.traffickers.sentence_remaining[convicted] == std::ceil(sentence))
      << w.traffickers.sentence_remaining[convicted];
  // The case's evidence is spent on the conviction, and victims freed
  // afterwards add none against a trafficker already in prison.
  EXPECT_EQ(w.traffickers.evidence[convicted], 0.0f);
  EXPECT_EQ(w.traffickers.victims[convicted], 0);
  EXPECT_EQ(w.newly_incarcerated, std::vector<std::int32_t>{convicted});
  EXPECT_EQ(w.metric(Metric::investigations, 0, 0), 1.0);
  EXPECT_EQ(w.metric(Metric::convictions, 0, 0), 1.0);
  EXPECT_EQ(w.metric(Metric::convictions, 1, 0), 0.0);
  EXPECT_EQ(w.traffickers.state[untouched], static_cast<std::uint8_t>(TraffickerState::Active));

  // All nine victims identified through the investigation, each in the
  // region where they were found: 5 places at home, the one abroad in
  // region 1's shelter.
  EXPECT_EQ(identified_total(w), 9.0);
  EXPECT_EQ(w.metric(Metric::identifications_by_channel, 0, static_cast<std::size_t>(Channel::Investigation)),
            8.0);
  EXPECT_EQ(w.metric(Metric::identifications_by_channel, 1, static_cast<std::size_t>(Channel::Investigation)),
            1.0);
  EXPECT_EQ(w.metric(Metric::protection_entries, 0), 5.0);
  EXPECT_EQ(w.metric(Metric::protection_turned_away, 0), 3.0);
  EXPECT_EQ(w.metric(Metric::protection_entries, 1), 1.0);
  for (std::uint32_t i = 0; i < 9; ++i) {
    EXPECT_NE(w.persons.state[i], static_cast<std::uint8_t>(PersonState::Exploited)) << i;
    EXPECT_NE(w.persons.state[i], static_cast<std::uint8_t>(PersonState::Recruited)) << i;
    EXPECT_EQ(w.persons.controller[i], kNoTrafficker) << i;
  }
  for (std::uint32_t i = 10000; i < 10004; ++i)
    EXPECT_EQ(w.persons.state[i], static_cast<std::uint8_t>(PersonState::Exploited));
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

TEST(Prosecution, PerceivedRiskReadsTheConvictionsToExpectNotTheOnesThatHappened) {
  // Ten traffickers all investigated, each convicted with probability 1/2:
  // the risk rises by 5 expected convictions per 10 traffickers whatever
  // the draws gave, so it does not depend on how many people an agent is.
  Scenario s = certain_justice(20000);
  set_param(s, Param::prosecution_conviction_base, 0.5);
  set_param(s, Param::prosecution_evidence_half, 1e9);  // evidence adds nothing
  World w = test::make_world(s);
  for (int k = 0; k < 10; ++k) test::add_trafficker(w, 0, Method::Abduction, Market::LabourOther, 2);
  prosecution_at(w, 0);
  const double dt = w.step_years;
  const double memory = 1 - std::exp(-dt / s.get(Param::prosecution_risk_memory_years));
  ASSERT_NE(cases(w, Metric::convictions), 5.0) << "choose a seed whose draws differ from their expectation";
  EXPECT_NEAR(w.regions[0].perceived_risk[static_cast<std::size_t>(Market::LabourOther)],
              memory * (5.0 / 10.0 / dt), 1e-12);
}

TEST(Prosecution, PerceivedRiskIsAMemoryOfConvictionsPerActiveTraffickerOfTheMarket) {
  Scenario s = certain_justice(20000);
  World w = test::make_world(s);
  for (int k = 0; k < 10; ++k) test::add_trafficker(w, 0, Method::Abduction, Market::LabourOther, 2);
  prosecution_at(w, 0);
  const double dt = w.step_years;
  const double memory = 1 - std::exp(-dt / s.get(Param::prosecution_risk_memory_years));
  // Ten of ten convicted: rate 1 per trafficker per step, in their market
  // only; traffickers of the other markets saw nothing.
  const double after = memory * (10.0 / 10.0 / dt);
  const auto other = static_cast<std::size_t>(Market::LabourOther);
  EXPECT_EQ(cases(w, Metric::convictions), 10.0);
  EXPECT_NEAR(w.regions[0].perceived_risk[other], after, 1e-12);
  EXPECT_GT(w.regions[0].perceived_risk[other], 0.0);
  for (std::size_t m = 0; m < kMarkets; ++m) {
    if (m == other) continue;
    EXPECT_EQ(w.regions[0].perceived_risk[m], 0.0) << m;
  }
  // Without further convictions the memory fades.
  prosecution_at(w, 1);
  EXPECT_NEAR(w.regions[0].perceived_risk[other], after * (1 - memory), 1e-12);
}

TEST(Prosecution, InvestigationTargetsAreWeightedByEvidenceAndVisibility) {
  // One investigation a step (a year long, no evidence decay); nobody is
  // ever prosecuted (full corruption, and the money to pay), so the world
  // stays as it is. A
  // trafficker is investigated with probability weight / total weight.
  Scenario s = test::quiet_scenario(10000);
  set_param(s, Param::scenario_step_days, 365);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 10);  // one investigator here
  set_param(s, Param::prosecution_investigations_per_investigator_per_year, 1);
  set_param(s, Param::prosecution_evidence_decay_per_year, 0);
  set_param(s, Param::institutions_corruption, 1.0);
  World w = test::make_world(s);
  const std::int32_t labour =
      test::add_trafficker(w, 0, Method::DebtBased, Market::LabourAgriculture, 3);  // no evidence
  const std::int32_t sexual = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 3);
  w.traffickers.evidence[sexual] = 1.2f;
  // Both can buy off every case.
  for (const std::int32_t t : {labour, sexual}) w.traffickers.profit[t] = 1e12;
  constexpr int kSteps = 6000;
  double sexual_cases = 0, labour_cases = 0;
  for (std::int32_t step = 0; step < kSteps; ++step) {
    prosecution_at(w, step);
    ASSERT_EQ(cases(w, Metric::investigations), 1.0);
    sexual_cases += w.metric(Metric::investigations, 0, 0);
    labour_cases += w.metric(Metric::investigations, 0, 1);
  }
  ASSERT_EQ(cases(w, Metric::prosecutions), 0.0);
  const double base = s.get(Param::prosecution_base_visibility);
  const double w_labour = base * s.get(Param::prosecution_labour_visibility);
  const double w_sexual = 1.2 + base;
  const double p = w_sexual / (w_sexual + w_labour);
  EXPECT_NEAR(sexual_cases, kSteps * p, test::binomial_tolerance(kSteps, p));
  EXPECT_EQ(sexual_cases + labour_cases, kSteps);
}

TEST(Prosecution, ConvictionProbabilityGrowsWithEvidenceAndShrinksWithCorruption) {
  // Everyone investigated; P(prosecute) = (b_p + (1 - b_p) s)(1 - c) and
  // P(convict | prosecuted) = (b_c + (1 - b_c) s)(1 - c), with evidence
  // strength s = e / (e + half) (no partnership here).
  // A trafficker who has earned the bribe buys the case off before charge,
  // and an acquittal at trial, each with probability c; one who has not
  // faces the evidence alone.
  for (const double evidence : {0.0, 2.0}) {
    for (const bool can_pay : {false, true}) {
      SCOPED_TRACE(testing::Message() << "evidence " << evidence << ", can pay " << can_pay);
      Scenario s = test::quiet_scenario(20000);
      set_param(s, Param::policy_prosecution_investigators_per_100k, 100);
      set_param(s, Param::prosecution_investigations_per_investigator_per_year, 1e6);
      set_param(s, Param::prosecution_evidence_decay_per_year, 0);
      set_param(s, Param::policy_partnership_level, 0);
      World w = test::make_world(s);
      const double bribe = s.get(Param::institutions_bribe_usd) * s.get(Param::cost_price_level);
      constexpr int kTraffickers = 8000;
      for (int k = 0; k < kTraffickers; ++k) {
        const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
        w.traffickers.evidence[t] = static_cast<float>(evidence);
        // Enough for both bribes, or a dollar short of one.
        w.traffickers.profit[t] = can_pay ? 2 * bribe : bribe - 1;
      }
      prosecution_at(w, 0);
      const double c = can_pay ? s.get(Param::institutions_corruption) : 0.0;
      const double strength = evidence / (evidence + s.get(Param::prosecution_evidence_half));
      const double p_prosecute = (s.get(Param::prosecution_prosecution_base) +
                                  (1 - s.get(Param::prosecution_prosecution_base)) * strength) *
                                 (1 - c);
      const double p_convict = (s.get(Param::prosecution_conviction_base) +
                                (1 - s.get(Param::prosecution_conviction_base)) * strength) *
                               (1 - c);
      EXPECT_EQ(cases(w, Metric::investigations), kTraffickers);
      EXPECT_NEAR(cases(w, Metric::prosecutions), kTraffickers * p_prosecute,
                  test::binomial_tolerance(kTraffickers, p_prosecute));
      const double p = p_prosecute * p_convict;
      EXPECT_NEAR(cases(w, Metric::convictions), kTraffickers * p, test::binomial_tolerance(kTraffickers, p));
      // Every case is decided in the step (immediate courts): convicted or acquitted.
      EXPECT_EQ(cases(w, Metric::convictions) + cases(w, Metric::acquittals), cases(w, Metric::prosecutions));
      // Each bribe is paid from the trafficker's profit, in real USD.
      const double bought = cases(w, Metric::cases_bought_off);
      if (!can_pay) {
        EXPECT_EQ(bought, 0.0);
      }
      // Before charge, or at trial after a charge the evidence won.
      const double p_bought = c + (1 - c) * (p_prosecute / (1 - c)) * c;
      EXPECT_NEAR(bought, kTraffickers * p_bought, test::binomial_tolerance(kTraffickers, p_bought));
      EXPECT_DOUBLE_EQ(test::frame_total(w, Metric::bribes_paid),
                       bought * bribe * s.get(Param::population_scale));
    }
  }
}

TEST(Prosecution, InvestigationCapacityFollowsInvestigators) {
  // Expected investigations per step: investigators x population / 1e5 x
  // rate x dt, rounded at random.
  Scenario s = test::quiet_scenario(50000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 3);
  set_param(s, Param::institutions_corruption, 1.0);  // keep everyone active
  World w = test::make_world(s);
  for (int k = 0; k < 500; ++k) test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
  constexpr int kSteps = 2000;
  double total = 0;
  for (std::int32_t step = 0; step < kSteps; ++step) {
    prosecution_at(w, step);
    total += cases(w, Metric::investigations);
  }
  const double expected =
      3 * 50000 / 1e5 * s.get(Param::prosecution_investigations_per_investigator_per_year) * w.step_years;
  // Per step floor(x) or floor(x) + 1: Bernoulli variance at most 1/4.
  EXPECT_NEAR(total, kSteps * expected, 4.5 * std::sqrt(kSteps * 0.25));
}

}  // namespace
}  // namespace tipsim

namespace tipsim {
namespace {

// Victims found by an investigation testify before the case is decided, so
// sheltered (cooperating) victims make convictions likelier: with certain
// cooperation the case is won far more often than with none.
TEST(Prosecution, VictimsFoundDuringTheInvestigationStrengthenTheCase) {
  auto conviction_share = [](double cooperation) {
    Scenario s = test::quiet_scenario(20000, 1);
    set_param(s, Param::prosecution_investigations_per_investigator_per_year, 1e6);
    set_param(s, Param::prosecution_prosecution_base, 1.0);
    set_param(s, Param::prosecution_conviction_base, 0.0);
    set_param(s, Param::institutions_corruption, 0.0);
    // Without partnership's multiplier the strengths below are exact.
    set_param(s, Param::policy_partnership_level, 0.0);
    set_param(s, Param::prosecution_victims_found_share, 1.0);
    set_param(s, Param::prosecution_base_visibility, 1.0);
    set_param(s, Param::policy_protection_shelter_beds_per_100k, 1e4);
    set_param(s, Param::protection_cooperation_sheltered, cooperation);
    World w = test::make_world(s);
    constexpr int kTraffickers = 200;
    for (int k = 0; k < kTraffickers; ++k) {
      const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 4);
      for (std::uint32_t v = 0; v < 2; ++v) test::make_exploited(w, static_cast<std::uint32_t>(k * 2 + v), t);
    }
    prosecution_at(w, 3);
    EXPECT_EQ(cases(w, Metric::investigations), kTraffickers);
    EXPECT_EQ(identified_total(w), 2.0 * kTraffickers);  // every victim found and identified
    return cases(w, Metric::convictions) / kTraffickers;
  };
  // Evidence 2 (two identifications) against 2 + 2 x 3 = 8 with cooperation,
  // with evidence_half = 2: strength 0.5 against 0.8.
  const double without = conviction_share(0.0), with = conviction_share(1.0);
  EXPECT_NEAR(without, 0.5, 4.5 * std::sqrt(0.25 / 200));
  EXPECT_NEAR(with, 0.8, 4.5 * std::sqrt(0.16 / 200));
}

TEST(Prosecution, PartnershipMultipliesTheWeightOfEvidence) {
  // E = e (1 + boost x P) and strength E / (E + half): with e = 2, P = 1 and
  // the default boost 0.5, E = 3 and the strength is 3/5 instead of 1/2.
  Scenario s = test::quiet_scenario(20000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 100);
  set_param(s, Param::prosecution_investigations_per_investigator_per_year, 1e6);
  set_param(s, Param::prosecution_evidence_decay_per_year, 0);
  set_param(s, Param::institutions_corruption, 0);
  set_param(s, Param::policy_partnership_level, 1.0);
  World w = test::make_world(s);
  constexpr int kTraffickers = 20000;
  for (int k = 0; k < kTraffickers; ++k) {
    const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
    w.traffickers.evidence[t] = 2.0f;
  }
  prosecution_at(w, 0);
  const double weight = 2.0 * (1 + s.get(Param::prosecution_partnership_boost) * 1.0);
  const double strength = weight / (weight + s.get(Param::prosecution_evidence_half));
  const double p_base = s.get(Param::prosecution_prosecution_base),
               c_base = s.get(Param::prosecution_conviction_base);
  const double p_prosecute = p_base + (1 - p_base) * strength;
  const double p_convict = p_prosecute * (c_base + (1 - c_base) * strength);
  ASSERT_EQ(cases(w, Metric::investigations), kTraffickers);
  EXPECT_NEAR(cases(w, Metric::prosecutions), kTraffickers * p_prosecute,
              test::binomial_tolerance(kTraffickers, p_prosecute));
  EXPECT_NEAR(cases(w, Metric::convictions), kTraffickers * p_convict,
              test::binomial_tolerance(kTraffickers, p_convict));
}

TEST(Prosecution, EvidenceGoesStaleAtTheDecayRate) {
  // e <- e exp(-decay dt) every step: after a year of weekly steps,
  // e exp(-decay x 52 dt).
  Scenario s = test::quiet_scenario(10000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 0);
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
  w.traffickers.evidence[t] = 10.0f;
  prosecution_at(w, 0);
  const double decay = s.get(Param::prosecution_evidence_decay_per_year);
  EXPECT_NEAR(w.traffickers.evidence[t], 10.0 * std::exp(-decay * w.step_years), 1e-5);
  for (std::int32_t step = 1; step < 52; ++step) prosecution_at(w, step);
  EXPECT_NEAR(w.traffickers.evidence[t], 10.0 * std::exp(-decay * 52 * w.step_years), 1e-4);
}

}  // namespace
}  // namespace tipsim

namespace tipsim {
namespace {

// Courts of a world of `persons` that can hear `per_step` cases a step, a
// case being ready `preparation_years` after its charge; everyone
// investigated is charged and convicted, nobody held before the verdict.
Scenario courts(std::uint32_t persons, double per_step, double preparation_years) {
  Scenario s = certain_justice(persons);
  set_param(s, Param::prosecution_trial_preparation_years, preparation_years);
  const double step_years = s.get(Param::scenario_step_days) / 365.0;
  set_param(s, Param::policy_prosecution_trials_per_100k_per_year, per_step / (persons / 1e5) / step_years);
  return s;
}

TEST(Courts, ReadyCasesAreHeardOldestFirstAtTheCourtsRate) {
  // 40 traffickers charged at step 0; courts hear 2.5 cases a step once a
  // case is prepared (0.1 years: 5.2 weekly steps, the same whole number of
  // steps for every case charged in a step). The backlog falls by the
  // verdicts, which go in charge order (id order here), and each records
  // its wait from the charge.
  Scenario s = courts(20000, 2.5, 0.1);
  World w = test::make_world(s);
  constexpr int kTraffickers = 40;
  for (int k = 0; k < kTraffickers; ++k) test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
  prosecution_at(w, 0);
  ASSERT_EQ(cases(w, Metric::prosecutions), kTraffickers);
  ASSERT_EQ(cases(w, Metric::court_backlog), kTraffickers);
  ASSERT_EQ(cases(w, Metric::convictions), 0.0);
  const double ready = 0.1 / w.step_years;
  double decided = 0;
  std::int32_t first_verdict = -1;
  for (std::int32_t step = 1; decided < kTraffickers; ++step) {
    ASSERT_LT(step, 100);
    prosecution_at(w, step);
    const double verdicts = cases(w, Metric::convictions) + cases(w, Metric::acquittals);
    if (verdicts > 0 && first_verdict < 0) first_verdict = step;
    // No new charges: the charged are not investigated again, the convicted are in prison.
    EXPECT_EQ(cases(w, Metric::investigations), 0.0) << step;
    decided += verdicts;
    EXPECT_EQ(cases(w, Metric::court_backlog), kTraffickers - decided) << step;
    EXPECT_DOUBLE_EQ(cases(w, Metric::case_years_to_verdict), verdicts * step * w.step_years) << step;
    // The courts' rate: floor(2.5 k + 1) - ... at most 3 a step, 2 or 3
    // while the queue lasts.
    if (first_verdict >= 0 && decided < kTraffickers) {
      EXPECT_GE(verdicts, 2.0) << step;
      EXPECT_LE(verdicts, 3.0) << step;
    }
    // Charged in id order, decided in id order.
    for (std::size_t t = 0; t < kTraffickers; ++t) {
      const bool convicted =
          w.traffickers.state[t] == static_cast<std::uint8_t>(TraffickerState::Incarcerated);
      EXPECT_EQ(convicted, t < decided) << "trafficker " << t << " at step " << step;
      EXPECT_EQ(w.traffickers.charged_step[t], convicted ? -1 : 0);
    }
  }
  EXPECT_TRUE(first_verdict == std::floor(ready) || first_verdict == std::ceil(ready)) << first_verdict;
  EXPECT_TRUE(w.regions[0].court_queue.empty());
}

TEST(Courts, CourtsThatKeepUpHearEachCaseWhenReady) {
  // A tenth of a hearing a step is enough for a case every ten steps: a
  // case charged after the courts sat idle is heard as soon as it is ready.
  Scenario s = courts(20000, 0.1, 0.0);
  World w = test::make_world(s);
  for (std::int32_t step = 0; step < 30; ++step) prosecution_at(w, step);  // idle courts bank one hearing
  test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
  prosecution_at(w, 30);
  EXPECT_EQ(cases(w, Metric::prosecutions), 1.0);
  EXPECT_EQ(cases(w, Metric::convictions), 1.0);
  EXPECT_EQ(cases(w, Metric::court_backlog), 0.0);
  // and no more than one: a second case waits ten steps for its hearing.
  test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
  test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
  std::int32_t step = 31;
  prosecution_at(w, step);
  EXPECT_EQ(cases(w, Metric::prosecutions), 2.0);
  EXPECT_EQ(cases(w, Metric::court_backlog), 2.0);
  double decided = 0;
  while (decided < 2) {
    ASSERT_LT(step, 100);
    prosecution_at(w, ++step);
    decided += cases(w, Metric::convictions);
  }
  EXPECT_GE(step, 31 + 18);
  EXPECT_LE(step, 31 + 21);
}

TEST(Courts, WitnessesWithdrawWhileTheCaseWaits) {
  // Evidence against a charged trafficker fades at the evidence decay plus
  // the witness withdrawal rate; against one not charged, at the decay alone.
  Scenario s = test::quiet_scenario(10000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 0);
  World w = test::make_world(s);
  const std::int32_t charged = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
  const std::int32_t free = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
  w.traffickers.evidence[charged] = w.traffickers.evidence[free] = 4.0f;
  w.traffickers.charged_step[charged] = 0;
  prosecution_at(w, 1);
  const double decay = s.get(Param::prosecution_evidence_decay_per_year);
  const double withdrawal = s.get(Param::prosecution_witness_withdrawal_per_year);
  ASSERT_GT(withdrawal, 0.0);
  EXPECT_FLOAT_EQ(w.traffickers.evidence[free], static_cast<float>(4.0 * std::exp(-decay * w.step_years)));
  EXPECT_FLOAT_EQ(w.traffickers.evidence[charged],
                  static_cast<float>(4.0 * std::exp(-(decay + withdrawal) * w.step_years)));
}

TEST(Courts, ATraffickerWhoDesistsWhileTheCaseWaitsIsStillTried) {
  // Desisting does not end a charged case: its evidence keeps fading until
  // the trial, which can send them to prison (and back to the trade, on
  // recidivism). Only one who desisted with no case pending is out for good.
  Scenario s = certain_justice(10000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 0);
  World w = test::make_world(s);
  const std::int32_t charged = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
  const std::int32_t idle = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
  w.traffickers.evidence[charged] = w.traffickers.evidence[idle] = 4.0f;
  w.traffickers.charged_step[charged] = 0;
  w.regions[0].court_queue.push_back(CourtCase{charged, 0, 3, 0});
  for (const std::int32_t t : {charged, idle})
    w.traffickers.state[static_cast<std::size_t>(t)] = static_cast<std::uint8_t>(TraffickerState::Desisted);
  prosecution_at(w, 1);
  EXPECT_LT(w.traffickers.evidence[charged], 4.0f);
  EXPECT_EQ(w.traffickers.in_trade, std::vector<std::int32_t>{charged});
  prosecution_at(w, 2);
  prosecution_at(w, 3);
  EXPECT_EQ(cases(w, Metric::convictions), 1.0);
  EXPECT_EQ(w.traffickers.state[charged], static_cast<std::uint8_t>(TraffickerState::Incarcerated));
  EXPECT_EQ(w.traffickers.in_trade, std::vector<std::int32_t>{charged});
}

TEST(Courts, TheHeldAreFreedByAnAcquittalAndServeTheRestOfTheirSentence) {
  // Everyone charged and held; their victims are freed at once. A year
  // later (52 or 53 weekly steps) half are convicted: their time held counts
  // against the sentence; the acquitted go back to their trade.
  Scenario s = courts(40000, 1e4, 1.0);
  set_param(s, Param::prosecution_pretrial_detention_share, 1.0);
  set_param(s, Param::prosecution_conviction_base, 0.5);
  set_param(s, Param::prosecution_evidence_half, 1e6);  // evidence barely moves the odds
  set_param(s, Param::prosecution_victims_found_share, 0.0);
  set_param(s, Param::policy_prosecution_sentence_years, 3.0);
  World w = test::make_world(s);
  constexpr int kTraffickers = 400;
  for (int k = 0; k < kTraffickers; ++k) {
    const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
    test::make_exploited(w, static_cast<std::uint32_t>(k), t);
  }
  prosecution_at(w, 0);
  EXPECT_EQ(cases(w, Metric::prosecutions), kTraffickers);
  EXPECT_EQ(w.newly_incarcerated.size(), static_cast<std::size_t>(kTraffickers));
  EXPECT_EQ(cases(w, Metric::identifications_by_channel), kTraffickers);  // the victims, freed
  for (std::size_t t = 0; t < kTraffickers; ++t) {
    ASSERT_EQ(w.traffickers.state[t], static_cast<std::uint8_t>(TraffickerState::Incarcerated));
    ASSERT_EQ(w.traffickers.victims[t], 0);
    // The victims freed at the arrest are witnesses in the case.
    ASSERT_GE(w.traffickers.evidence[t], s.get(Param::prosecution_evidence_per_identification) * 0.999);
  }
  std::int32_t step = 0;
  while (cases(w, Metric::convictions) + cases(w, Metric::acquittals) == 0) {
    ASSERT_LT(step, 60);
    prosecution_at(w, ++step);
  }
  EXPECT_TRUE(step == 52 || step == 53) << step;
  EXPECT_EQ(cases(w, Metric::convictions) + cases(w, Metric::acquittals), kTraffickers);
  EXPECT_NEAR(cases(w, Metric::convictions), kTraffickers * 0.5, test::binomial_tolerance(kTraffickers, 0.5));
  const double sentence = 3.0 / w.step_years;  // 156.4 steps
  for (std::size_t t = 0; t < kTraffickers; ++t) {
    if (w.traffickers.state[t] == static_cast<std::uint8_t>(TraffickerState::Incarcerated)) {
      const std::int32_t left = w.traffickers.sentence_remaining[t];
      EXPECT_TRUE(left == std::floor(sentence) - step || left == std::ceil(sentence) - step) << left;
    } else {
      EXPECT_EQ(w.traffickers.state[t], static_cast<std::uint8_t>(TraffickerState::Active));
      EXPECT_EQ(w.traffickers.sentence_remaining[t], 0);
    }
    EXPECT_EQ(w.traffickers.charged_step[t], -1);
  }
}

TEST(Courts, WrongLeadsTakeInvestigationsAndSometimesEndInWrongfulConvictions) {
  // No traffickers: every investigation follows a lead against someone who
  // is not one, as many as the leads allow. With certain charge and
  // conviction they are all counted as convictions by the courts, and the
  // true layer knows every one was wrongful.
  Scenario s = test::quiet_scenario(20000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 50);  // 10 investigators
  set_param(s, Param::prosecution_investigations_per_investigator_per_year,
            52.142857142857146);  // ~10 a step
  set_param(s, Param::prosecution_evidence_decay_per_year, 0);
  set_param(s, Param::prosecution_wrongful_prosecution, 1.0);
  set_param(s, Param::prosecution_wrongful_conviction, 1.0);
  World w = test::make_world(s);
  w.regions[0].suspects[1] = 25.0;  // labour cases
  double investigated = 0;
  for (std::int32_t step = 0; step < 6; ++step) {
    const double remaining = w.regions[0].suspects[1];
    prosecution_at(w, step);
    // Nine to eleven investigations a step, while leads last.
    const double n = cases(w, Metric::investigations);
    EXPECT_GE(n, std::min(9.0, remaining));
    EXPECT_LE(n, remaining);
    EXPECT_EQ(cases(w, Metric::wrongful_investigations), n);
    EXPECT_EQ(w.metric(Metric::investigations, 0, 1), n);  // the leads' case type
    EXPECT_EQ(cases(w, Metric::convictions), n);
    EXPECT_EQ(cases(w, Metric::wrongful_convictions), n);
    investigated += n;
  }
  EXPECT_EQ(investigated, 25.0);  // no lead is followed twice
  EXPECT_EQ(w.regions[0].suspects[1], 0.0);
}

TEST(Courts, WrongLeadsLowerTheConvictionsTraffickersExpect) {
  // Four traffickers of weight 0.3 and three leads of weight 1 share the
  // expected investigations c: each trafficker's chance is c x 0.3 / 4.2,
  // and every case would end in a conviction.
  Scenario s = test::quiet_scenario(20000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 5);
  set_param(s, Param::prosecution_prosecution_base, 1.0);
  set_param(s, Param::prosecution_conviction_base, 1.0);
  set_param(s, Param::prosecution_evidence_decay_per_year, 0);
  set_param(s, Param::institutions_corruption, 0.0);
  World w = test::make_world(s);
  for (int k = 0; k < 4; ++k) test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
  w.regions[0].suspects[0] = 3.0;
  prosecution_at(w, 0);
  const double c =
      5 * 20000 / 1e5 * s.get(Param::prosecution_investigations_per_investigator_per_year) * w.step_years;
  const double visibility = s.get(Param::prosecution_base_visibility);
  const double leads = 3.0 * s.get(Param::prosecution_evidence_per_identification);
  const double expected = 4 * c * visibility / (4 * visibility + leads);
  const double memory = 1 - std::exp(-w.step_years / s.get(Param::prosecution_risk_memory_years));
  EXPECT_NEAR(w.regions[0].perceived_risk[0], memory * expected / 4 / w.step_years, 1e-12);
}

TEST(Courts, WrongLeadsTakeTheirShareOfTheInvestigations) {
  // Leads against non-traffickers weigh as much as an identification each:
  // with L leads and traffickers of total weight W, an investigation follows
  // a wrong lead with probability L e / (L e + W); none is charged here.
  Scenario s = test::quiet_scenario(20000);
  set_param(s, Param::policy_prosecution_investigators_per_100k, 5);  // one investigator
  set_param(s, Param::prosecution_investigations_per_investigator_per_year, 52.142857142857146);  // ~1 a step
  set_param(s, Param::prosecution_evidence_decay_per_year, 0);
  set_param(s, Param::prosecution_wrongful_prosecution, 0.0);
  set_param(s, Param::institutions_corruption, 1.0);
  World w = test::make_world(s);
  for (int k = 0; k < 4; ++k) {
    const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
    w.traffickers.profit[t] = 1e12;  // buys off every case: the world stays as it is
  }
  constexpr int kSteps = 4000;
  double wrongful = 0, all = 0;
  for (std::int32_t step = 0; step < kSteps; ++step) {
    w.regions[0].suspects[0] = 3.0;
    prosecution_at(w, step);
    wrongful += cases(w, Metric::wrongful_investigations);
    all += cases(w, Metric::investigations);
  }
  const double leads = 3.0 * s.get(Param::prosecution_evidence_per_identification);
  const double traffickers = 4 * s.get(Param::prosecution_base_visibility);
  const double p = leads / (leads + traffickers);
  EXPECT_NEAR(wrongful, all * p, test::binomial_tolerance(all, p));
  EXPECT_GT(all, kSteps * 0.9);
}

}  // namespace
}  // namespace tipsim

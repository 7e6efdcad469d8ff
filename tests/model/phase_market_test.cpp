// Phase 3 (phase_market.cpp): entry of traffickers relative to how well
// crime paid at the start, desistance driven by perceived risk (victims of
// those who leave are let go), release from prison after the sentence with
// recidivism, and network replacement of incarcerated members while demand
// is unmet (the hydra effect).
#include <gtest/gtest.h>

#include <cmath>

#include "model_math.hpp"
#include "person_ops.hpp"
#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::World;

using test::set_param;

std::size_t count_traffickers(const World& w, TraffickerState state) {
  std::size_t n = 0;
  for (std::uint8_t s : w.traffickers.state) n += s == static_cast<std::uint8_t>(state) ? 1 : 0;
  return n;
}

void market_at(World& w, std::int32_t step) {
  w.step = step;
  std::fill(w.frame.begin(), w.frame.end(), 0.0);
  run_market(w);
}

TEST(Market, DesistingTraffickersReleaseTheirVictims) {
  // Region 0 feels a high conviction risk, region 1 none: only the
  // trafficker of region 0 gives up the trade.
  Scenario s = test::quiet_scenario(4000, 2);
  set_param(s, Param::traffickers_desistance_per_year, 0);
  set_param(s, Param::traffickers_risk_desistance, 1000);
  World w = test::make_world(s);
  test::set_perceived_risk(w, 0, 1.0);
  const std::int32_t leaving = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 5);
  const std::int32_t staying = test::add_trafficker(w, 1, Method::Romance, Market::Sexual, 5);
  // One victim of the leaving trafficker is exploited abroad, in region 1.
  const std::vector<std::uint32_t> released = {3, 8, 9};
  test::make_exploited(w, 3, leaving);
  test::make_exploited(w, 8, leaving);
  test::make_exploited(w, 9, leaving, 1);
  test::make_exploited(w, 2500, staying);
  const std::vector<float> before = w.persons.vulnerability;

  market_at(w, 0);

  EXPECT_EQ(w.traffickers.state[leaving], static_cast<std::uint8_t>(TraffickerState::Desisted));
  EXPECT_EQ(w.traffickers.state[staying], static_cast<std::uint8_t>(TraffickerState::Active));
  EXPECT_EQ(w.traffickers.victims[leaving], 0);
  const double unserved = s.get(Param::protection_unserved_vulnerability_increase);
  for (std::uint32_t i : released) {
    EXPECT_EQ(w.persons.state[i], static_cast<std::uint8_t>(PersonState::Free)) << i;
    EXPECT_EQ(w.persons.current_region[i], w.persons.home_region[i]) << "released people go home";
    EXPECT_FLOAT_EQ(w.persons.vulnerability[i], static_cast<float>(before[i] + unserved * (1.0 - before[i])));
  }
  EXPECT_EQ(w.persons.state[2500], static_cast<std::uint8_t>(PersonState::Exploited));
  // Releases are counted where the victims were exploited.
  EXPECT_EQ(w.metric(Metric::releases, 0), 2.0);
  EXPECT_EQ(w.metric(Metric::releases, 1), 1.0);
  EXPECT_EQ(w.metric(Metric::traffickers_desisting, 0), 1.0);
  EXPECT_EQ(w.regions[0].traffickers_active, 0u);
  EXPECT_EQ(w.regions[1].traffickers_active, 1u);
  EXPECT_TRUE(test::world_is_consistent(w, test::Involved::MayHoldFree));
}

TEST(Market, DesistanceFrequencyMatchesTheHazard) {
  Scenario s = test::quiet_scenario(2000);
  set_param(s, Param::traffickers_desistance_per_year, 5.0);
  World w = test::make_world(s);
  constexpr int kTraffickers = 6000;
  for (int t = 0; t < kTraffickers; ++t)
    test::add_trafficker(w, 0, Method::DebtBased, Market::LabourOther, 2);
  market_at(w, 3);
  // No perceived risk: probability 1 - exp(-rate dt) per step.
  const double p = -std::expm1(-5.0 * w.step_years);
  EXPECT_NEAR(static_cast<double>(count_traffickers(w, TraffickerState::Desisted)), kTraffickers * p,
              test::binomial_tolerance(kTraffickers, p));
  EXPECT_EQ(w.metric(Metric::traffickers_desisting, 0),
            static_cast<double>(count_traffickers(w, TraffickerState::Desisted)));
}

TEST(Market, IncarceratedTraffickersAreReleasedAfterTheirSentence) {
  for (const double recidivism : {0.0, 1.0}) {
    SCOPED_TRACE(recidivism);
    Scenario s = test::quiet_scenario(2000);
    set_param(s, Param::traffickers_recidivism, recidivism);
    set_param(s, Param::traffickers_desistance_per_year, 0);
    World w = test::make_world(s);
    const std::int32_t t = test::add_trafficker(w, 0, Method::Abduction, Market::Sexual, 3);
    w.traffickers.state[t] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
    w.traffickers.sentence_remaining[t] = 3;
    for (std::int32_t step = 0; step < 2; ++step) {
      market_at(w, step);
      EXPECT_EQ(w.traffickers.state[t], static_cast<std::uint8_t>(TraffickerState::Incarcerated));
      EXPECT_EQ(w.metric(Metric::traffickers_released, 0), 0.0);
      EXPECT_EQ(w.regions[0].traffickers_active, 0u);
    }
    market_at(w, 2);
    EXPECT_EQ(w.metric(Metric::traffickers_released, 0), 1.0);
    if (recidivism == 1.0) {
      EXPECT_EQ(w.traffickers.state[t], static_cast<std::uint8_t>(TraffickerState::Active));
      EXPECT_EQ(w.regions[0].traffickers_active, 1u);
    } else {
      EXPECT_EQ(w.traffickers.state[t], static_cast<std::uint8_t>(TraffickerState::Desisted));
      EXPECT_EQ(w.metric(Metric::traffickers_desisting, 0), 1.0);
    }
  }
}

// A world with one trafficker of the sexual market incarcerated in the
// previous step, and `met` sexual victims of another trafficker already in
// the market, whose demand is `demand` victims.
struct HydraWorld {
  Scenario s = test::quiet_scenario(10000);
  World w;
  std::int32_t jailed = 0;
  HydraWorld(double demand, std::uint32_t met, double entry_per_100k = 1e-6) {
    // Replacement needs an open trade (entry > 0); this rate admits no
    // newcomer in practice (expected 2e-9 a step), so any new trafficker is
    // a replacement.
    set_param(s, Param::traffickers_entry_per_100k, entry_per_100k);
    set_param(s, Param::traffickers_network_replacement, 1.0);
    set_param(s, Param::traffickers_desistance_per_year, 0);
    set_param(s, Param::market_demand_sexual_per_100k, demand * 1e5 / 10000);
    w = test::make_world(s);
    jailed = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 4);
    w.traffickers.state[jailed] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
    w.traffickers.sentence_remaining[jailed] = 100;
    w.newly_incarcerated.push_back(jailed);
    const std::int32_t other = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 60000);
    for (std::uint32_t i = 0; i < met; ++i) test::make_exploited(w, i, other);
  }
};

TEST(Market, NetworksReplaceIncarceratedMembersWhileDemandIsUnmet) {
  HydraWorld h(/*demand=*/10, /*met=*/0);
  World& w = h.w;
  market_at(w, 0);
  ASSERT_EQ(w.traffickers.size(), 3u);
  const std::size_t heir = 2;
  // The replacement takes the place of the jailed member: same network,
  // region, market and method.
  EXPECT_EQ(w.traffickers.network[heir], w.traffickers.network[h.jailed]);
  EXPECT_EQ(w.traffickers.base_region[heir], w.traffickers.base_region[h.jailed]);
  EXPECT_EQ(w.traffickers.market[heir], w.traffickers.market[h.jailed]);
  EXPECT_EQ(w.traffickers.method[heir], w.traffickers.method[h.jailed]);
  EXPECT_EQ(w.traffickers.state[heir], static_cast<std::uint8_t>(TraffickerState::Active));
  EXPECT_GE(w.traffickers.capacity[heir], 1);
  EXPECT_EQ(w.metric(Metric::traffickers_replacing, 0), 1.0);
  EXPECT_EQ(w.metric(Metric::traffickers_entering, 0), 1.0);
  EXPECT_TRUE(w.newly_incarcerated.empty()) << "each incarceration is answered once";
  market_at(w, 1);
  EXPECT_EQ(w.traffickers.size(), 3u);
}

TEST(Market, NoReplacementWhenDemandIsMet) {
  HydraWorld met(/*demand=*/10, /*met=*/10);
  market_at(met.w, 0);
  EXPECT_EQ(met.w.traffickers.size(), 2u);
  EXPECT_EQ(met.w.metric(Metric::traffickers_replacing, 0), 0.0);

  HydraWorld none(/*demand=*/0, /*met=*/0);
  market_at(none.w, 0);
  EXPECT_EQ(none.w.traffickers.size(), 2u);
}

TEST(Market, NoReplacementWhenTheTradeIsClosedToNewcomers) {
  // entry_per_100k = 0 means no newcomers at all, replacements included.
  HydraWorld closed(/*demand=*/10, /*met=*/0, /*entry_per_100k=*/0);
  market_at(closed.w, 0);
  EXPECT_EQ(closed.w.traffickers.size(), 2u);
  EXPECT_TRUE(closed.w.newly_incarcerated.empty());
}

TEST(Market, ReplacementProbabilityIsReplacementTimesUnmetShare) {
  // Demand 200 victims, 50 met: unmet share 3/4; replacement 0.5.
  HydraWorld h(/*demand=*/200, /*met=*/50);
  set_param(h.s, Param::traffickers_network_replacement, 0.5);
  test::recompile(h.w, h.s);
  World& w = h.w;
  constexpr int kJailed = 4000;
  for (int k = 1; k < kJailed; ++k) {
    const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 4);
    w.traffickers.state[t] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
    w.traffickers.sentence_remaining[t] = 100;
    w.newly_incarcerated.push_back(t);
  }
  market_at(w, 0);
  const double p = 0.5 * 0.75;
  EXPECT_NEAR(w.metric(Metric::traffickers_replacing, 0), kJailed * p, test::binomial_tolerance(kJailed, p));
}

TEST(Market, EntryIsPoissonAtTheStartingRateAndFallsWithRisk) {
  // Entry per step is Poisson(entry x population / 1e5 x dt x attractiveness
  // / attractiveness with all demand unmet). Perceived risk r, the same in
  // every market, multiplies attractiveness by deterrence(r).
  for (const double risk : {0.0, 1.0}) {
    SCOPED_TRACE(risk);
    Scenario s = test::quiet_scenario(20000);
    set_param(s, Param::traffickers_entry_per_100k, 1000);
    set_param(s, Param::traffickers_desistance_per_year, 0);
    set_param(s, Param::traffickers_risk_desistance, 0);
    World w = test::make_world(s);
    test::set_perceived_risk(w, 0, risk);
    constexpr int kSteps = 300;
    for (int step = 0; step < kSteps; ++step) market_at(w, step);
    const double lambda = 1000 * 20000 / 1e5 * w.step_years * deterrence(s.globals, risk);
    const double entered = static_cast<double>(w.traffickers.size());
    EXPECT_NEAR(entered, kSteps * lambda, 4.5 * std::sqrt(kSteps * lambda));

    // Entrants supply markets in proportion to their demand (all unmet) and
    // use methods in proportion to the method weights.
    std::size_t sexual = 0, deceptive = 0;
    for (std::size_t t = 0; t < w.traffickers.size(); ++t) {
      sexual += w.traffickers.market[t] == static_cast<std::uint8_t>(Market::Sexual) ? 1 : 0;
      deceptive += w.traffickers.method[t] == static_cast<std::uint8_t>(Method::DeceptiveJobOffer) ? 1 : 0;
      EXPECT_LT(w.traffickers.network[t], w.networks);
    }
    double demand_total = 0, method_total = 0;
    for (std::size_t m = 0; m < kMarkets; ++m)
      demand_total += effective_demand_per_100k(s.regions[0].values, s.globals, static_cast<Market>(m));
    for (std::size_t k = 0; k < kMethods; ++k)
      method_total += method_weight(s.regions[0].values, static_cast<Method>(k));
    const double p_sexual = s.get(Param::market_demand_sexual_per_100k) / demand_total;
    const double p_deceptive = s.get(Param::traffickers_method_share_deceptive) / method_total;
    EXPECT_NEAR(static_cast<double>(sexual), entered * p_sexual, test::binomial_tolerance(entered, p_sexual));
    EXPECT_NEAR(static_cast<double>(deceptive), entered * p_deceptive,
                test::binomial_tolerance(entered, p_deceptive));
    EXPECT_EQ(w.regions[0].traffickers_active, w.traffickers.size());
  }
}

TEST(Market, NewcomersAvoidTheMarketWhoseConvictionsTheySee) {
  // Risk in sexual exploitation only: attractiveness loses that market's
  // share times (1 - deterrence), and newcomers choose it in proportion to
  // its demand times deterrence(risk), the other markets as before.
  Scenario s = test::quiet_scenario(20000);
  set_param(s, Param::traffickers_entry_per_100k, 1000);
  set_param(s, Param::traffickers_desistance_per_year, 0);
  set_param(s, Param::traffickers_risk_desistance, 0);
  World w = test::make_world(s);
  const auto sexual = static_cast<std::size_t>(Market::Sexual);
  const double unmet_attractiveness = w.regions[0].attractiveness;
  w.regions[0].perceived_risk[sexual] = 0.002;
  const double d = deterrence(s.globals, 0.002);
  ASSERT_LT(d, 0.5);
  double value[kMarkets], total_value = 0;
  for (std::size_t m = 0; m < kMarkets; ++m) {
    value[m] = market_profit(s.regions[0].values, static_cast<Market>(m)) *
               market_demand_per_100k(s.regions[0].values, static_cast<Market>(m));
    total_value += value[m];
  }
  constexpr int kSteps = 300;
  for (int step = 0; step < kSteps; ++step) market_at(w, step);
  const double expected_attractiveness =
      unmet_attractiveness * (total_value - value[sexual] * (1 - d)) / total_value;
  // Entrants bring no victims here (only the market phase runs): all demand stays unmet.
  EXPECT_NEAR(w.regions[0].attractiveness, expected_attractiveness, 1e-9 * expected_attractiveness);
  double demand[kMarkets], weight_total = 0;
  for (std::size_t m = 0; m < kMarkets; ++m) {
    demand[m] = effective_demand_per_100k(s.regions[0].values, s.globals, static_cast<Market>(m));
    weight_total += demand[m] * (m == sexual ? d : 1.0);
  }
  std::size_t entered_sexual = 0;
  for (std::size_t t = 0; t < w.traffickers.size(); ++t)
    entered_sexual += w.traffickers.market[t] == static_cast<std::uint8_t>(Market::Sexual) ? 1 : 0;
  const double entered = static_cast<double>(w.traffickers.size());
  const double p_sexual = demand[sexual] * d / weight_total;
  EXPECT_NEAR(static_cast<double>(entered_sexual), entered * p_sexual,
              test::binomial_tolerance(entered, p_sexual));
}

TEST(Market, EntryFollowsTheDemandLeftUnmetHoweverFullTheWorldStarted) {
  // Only sexual exploitation has demand, and the warm start fills part of it:
  // attractiveness is then the empty market's times the unmet share, and so
  // is entry, whatever share the warm start filled.
  for (const double fill : {0.2, 0.9}) {
    SCOPED_TRACE(fill);
    Scenario s = test::quiet_scenario(40000);
    for (Param demand :
         {Param::market_demand_agriculture_per_100k, Param::market_demand_construction_per_100k,
          Param::market_demand_manufacturing_per_100k, Param::market_demand_other_labour_per_100k,
          Param::market_demand_domestic_per_100k, Param::market_demand_criminality_per_100k})
      set_param(s, demand, 0);
    set_param(s, Param::market_demand_sexual_per_100k, 1000);
    set_param(s, Param::traffickers_initial_per_100k, 150);
    set_param(s, Param::traffickers_initial_fill, fill);
    set_param(s, Param::traffickers_entry_per_100k, 1000);
    set_param(s, Param::traffickers_desistance_per_year, 0);
    set_param(s, Param::traffickers_risk_desistance, 0);
    set_param(s, Param::recruitment_deterrence_elasticity, 0);
    World w = test::make_world(s);
    const auto sexual = static_cast<std::size_t>(Market::Sexual);
    const double unmet = 1 - w.regions[0].market_victims[sexual] / w.regions[0].market_demand[sexual];
    ASSERT_GT(unmet, 0.05);
    ASSERT_LT(unmet, 0.95);
    const std::size_t initial = w.traffickers.size();
    constexpr int kSteps = 300;
    for (int step = 0; step < kSteps; ++step) market_at(w, step);
    const double lambda = 1000 * 40000 / 1e5 * w.step_years * unmet;
    const double entered = static_cast<double>(w.traffickers.size() - initial);
    EXPECT_NEAR(entered, kSteps * lambda, 4.5 * std::sqrt(kSteps * lambda)) << "unmet share " << unmet;
  }
}

TEST(Market, NoEntryWhenEntryIsZero) {
  Scenario s = test::quiet_scenario(20000);
  World w = test::make_world(s);
  for (int step = 0; step < 50; ++step) market_at(w, step);
  EXPECT_EQ(w.traffickers.size(), 0u);
}

TEST(Market, EvidenceRaisesATraffickersOwnRiskAndSoTheirDesistance) {
  // rho_t = rho_r (1 + e_t / e_half), and a trafficker leaves with
  // probability 1 - exp(-(mu + mu_rho rho_t) dt); here mu = 0 and rho_r = 1.
  Scenario s = test::quiet_scenario(2000);
  set_param(s, Param::traffickers_desistance_per_year, 0);
  World w = test::make_world(s);
  test::set_perceived_risk(w, 0, 1.0);
  constexpr int kGroup = 6000;
  const float evidence[2] = {0.0f, 3.0f};
  for (int group = 0; group < 2; ++group)
    for (int k = 0; k < kGroup; ++k) {
      const std::int32_t t = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 2);
      w.traffickers.evidence[t] = evidence[group];
    }
  market_at(w, 1);
  const double half = s.get(Param::prosecution_evidence_half);
  for (int group = 0; group < 2; ++group) {
    SCOPED_TRACE(evidence[group]);
    const double risk = 1.0 * (1.0 + evidence[group] / half);
    EXPECT_FLOAT_EQ(w.traffickers.perceived_risk[static_cast<std::size_t>(group * kGroup)],
                    static_cast<float>(risk));
    double desisted = 0;
    for (std::size_t t = static_cast<std::size_t>(group * kGroup);
         t < static_cast<std::size_t>((group + 1) * kGroup); ++t)
      desisted += w.traffickers.state[t] == static_cast<std::uint8_t>(TraffickerState::Desisted) ? 1 : 0;
    const double p = -std::expm1(-s.get(Param::traffickers_risk_desistance) * risk * w.step_years);
    EXPECT_NEAR(desisted, kGroup * p, test::binomial_tolerance(kGroup, p));
  }
}

TEST(Market, NewcomersJoinAnExistingNetworkWithTheJoinShare) {
  // Each entrant joins the network of an active trafficker of the region
  // with probability p_join, and founds a new network otherwise.
  Scenario s = test::quiet_scenario(20000);
  set_param(s, Param::traffickers_entry_per_100k, 1e5);
  set_param(s, Param::traffickers_desistance_per_year, 0);
  World w = test::make_world(s);
  for (int k = 0; k < 10; ++k) test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 3);
  const std::int32_t networks_before = w.networks;
  market_at(w, 0);
  const double entered = static_cast<double>(w.traffickers.size()) - 10;
  ASSERT_GT(entered, 200.0);
  double joined = 0;
  for (std::size_t t = 10; t < w.traffickers.size(); ++t)
    joined += w.traffickers.network[t] < networks_before ? 1 : 0;
  const double share = s.get(Param::traffickers_network_join_share);
  EXPECT_NEAR(joined, entered * share, test::binomial_tolerance(entered, share));
  EXPECT_EQ(static_cast<double>(w.networks - networks_before), entered - joined)
      << "every other entrant founds one";
}

TEST(Market, AttractivenessWeighsEachDestinationsProfitByItsUnmetDemand) {
  // A_r = 1 / (1 + k_det rho_r) x sum over markets m and destinations j of
  // pi_rj Pi_jm u_jm d_jm (model.md 4.3). Region 0 sends 40 % of its
  // recruits to region 1, where sex pays more and a fifth of the demand is met.
  Scenario s = test::quiet_scenario(20000, 2);
  s.routes.push_back(RouteSpec{0, 1, 0.4, 14});
  test::set_regional(s, 1, Param::market_profit_sexual_usd_per_year, 90000);
  test::set_regional(s, 1, Param::market_profit_labour_usd_per_year, 1000);
  test::set_regional(s, 1, Param::market_demand_sexual_per_100k, 300);  // 30 victims in 10 000 people
  set_param(s, Param::traffickers_desistance_per_year, 0);
  World w = test::make_world(s);
  const std::int32_t t = test::add_trafficker(w, 1, Method::Romance, Market::Sexual, 10);
  for (std::uint32_t i = 10000; i < 10006; ++i) test::make_exploited(w, i, t);
  test::set_perceived_risk(w, 0, 0.25);
  market_at(w, 0);

  auto unmet = [](std::size_t j, std::size_t m) {
    return j == 1 && m == static_cast<std::size_t>(Market::Sexual) ? 1.0 - 6.0 / 30.0 : 1.0;
  };
  auto value = [&](std::size_t j, std::size_t m) {
    const ParamValues& lv = s.regions[j].values;
    return market_profit(lv, static_cast<Market>(m)) * unmet(j, m) *
           market_demand_per_100k(lv, static_cast<Market>(m));
  };
  double from_0 = 0, from_1 = 0;
  for (std::size_t m = 0; m < kMarkets; ++m) {
    from_0 += 0.6 * value(0, m) + 0.4 * value(1, m);
    from_1 += value(1, m);
  }
  from_0 *= deterrence(s.globals, 0.25);
  EXPECT_NEAR(w.regions[0].attractiveness, from_0, 1e-9 * from_0);
  EXPECT_NEAR(w.regions[1].attractiveness, from_1, 1e-9 * from_1);
}

}  // namespace
}  // namespace tipsim

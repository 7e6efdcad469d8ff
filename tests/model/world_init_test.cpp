// Initialisation (world_init.cpp, model.md 4.0): persons drawn with the
// vulnerability, sex and age of their region; initial traffickers founding
// or joining networks; the warm start, in which each initial trafficker
// already holds a share of its capacity.
#include <gtest/gtest.h>

#include <cmath>

#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::World;

using test::set_param;

TEST(Initialisation, PersonsAreDrawnWithTheirRegionsVulnerabilitySexAndAge) {
  // Vulnerability ~ Beta(mean k, (1 - mean) k), k = mean (1 - mean) / sd^2
  // - 1, whose mean and standard deviation are the region's. The sample sd
  // of n draws varies by about sd sqrt((kurtosis - 1) / 4n), and these
  // Betas' kurtosis is below 3.
  Scenario s = test::quiet_scenario(80000, 2);
  test::set_regional(s, 1, Param::population_vulnerability_mean, 0.6);
  test::set_regional(s, 1, Param::population_vulnerability_sd, 0.1);
  test::set_regional(s, 1, Param::population_female_share, 0.7);
  test::set_regional(s, 1, Param::population_child_share, 0.1);
  World w = test::make_world(s);
  for (std::size_t r = 0; r < 2; ++r) {
    SCOPED_TRACE(r);
    const ParamValues& lv = s.regions[r].values;
    const RegionModel& rs = w.model.regions[r];
    double sum = 0, sum2 = 0, female = 0, children = 0;
    for (std::uint32_t i = rs.person_begin; i < rs.person_end; ++i) {
      const double v = w.persons.vulnerability[i];
      sum += v;
      sum2 += v * v;
      female += (w.persons.flags[i] & person_flag::kFemale) ? 1 : 0;
      children += (w.persons.flags[i] & person_flag::kChild) ? 1 : 0;
      ASSERT_EQ(w.persons.home_region[i], r);
    }
    const double n = rs.population, mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
    const double expected_mean = lv[Param::population_vulnerability_mean];
    const double expected_sd = lv[Param::population_vulnerability_sd];
    EXPECT_NEAR(mean, expected_mean, 4.5 * expected_sd / std::sqrt(n));
    EXPECT_NEAR(sd, expected_sd, 4.5 * expected_sd * std::sqrt(2.0 / (4 * n)));
    const double female_share = lv[Param::population_female_share];
    const double child_share = lv[Param::population_child_share];
    EXPECT_NEAR(female, n * female_share, test::binomial_tolerance(n, female_share));
    EXPECT_NEAR(children, n * child_share, test::binomial_tolerance(n, child_share));
  }
}

TEST(Initialisation, InitialTraffickersJoinEarlierNetworksWithTheJoinShare) {
  // The first trafficker of a region founds a network; each later one joins
  // one founded so far with probability p_join, or founds another: there
  // are 1 + Binomial(n - 1, 1 - p_join) networks.
  Scenario s = test::tiny_scenario(50000);
  set_param(s, Param::traffickers_initial_per_100k, 4000);
  World w = test::make_world(s);
  const double n = static_cast<double>(w.traffickers.size());
  ASSERT_NEAR(n, 2000, 1);
  const double founding = 1 - s.get(Param::traffickers_network_join_share);
  EXPECT_NEAR(static_cast<double>(w.networks), 1 + (n - 1) * founding,
              test::binomial_tolerance(n - 1, founding));
  for (std::int32_t network : w.traffickers.network) ASSERT_LT(network, w.networks);
}

TEST(Initialisation, EachInitialTraffickerHoldsItsShareOfItsOwnCapacity) {
  // Warm start: a trafficker of capacity K = 1 + Poisson(mean - 1) holds a
  // stochastic rounding of fill x K victims, exploited in its market.
  Scenario s = test::tiny_scenario(50000);
  set_param(s, Param::traffickers_initial_per_100k, 400);
  set_param(s, Param::traffickers_initial_fill, 0.5);
  set_param(s, Param::traffickers_capacity_mean, 6);
  World w = test::make_world(s);
  const auto& tr = w.traffickers;
  const double n = static_cast<double>(tr.size());
  ASSERT_NEAR(n, 200, 1);
  double capacity = 0, victims = 0;
  for (std::size_t t = 0; t < tr.size(); ++t) {
    const double share = 0.5 * tr.capacity[t];
    EXPECT_GE(tr.victims[t], std::floor(share)) << "trafficker " << t << " of capacity " << tr.capacity[t];
    EXPECT_LE(tr.victims[t], std::ceil(share)) << "trafficker " << t << " of capacity " << tr.capacity[t];
    capacity += tr.capacity[t];
    victims += tr.victims[t];
  }
  EXPECT_NEAR(capacity / n, 6.0, 4.5 * std::sqrt(5.0 / n));
  EXPECT_EQ(static_cast<double>(test::count_in(w, PersonState::Exploited)), victims);
  for (std::uint32_t i : test::persons_in(w, PersonState::Exploited))
    ASSERT_EQ(w.persons.market[i], tr.market[static_cast<std::size_t>(w.persons.controller[i])]) << i;
  EXPECT_TRUE(test::world_is_consistent(w));
}

}  // namespace
}  // namespace tipsim

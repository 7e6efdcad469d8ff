#include "indicators.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "scenario_loader.hpp"
#include "series_cell.hpp"
#include "simulation.hpp"
#include "test_paths.hpp"

namespace tipsim::viz {
namespace {

using testing::set;

constexpr std::size_t kFree = 0, kRecruited = 1, kExploited = 2, kInProtection = 3;

// Two regions, ten steps, every value zero until a test sets it.
Series two_regions(std::size_t steps = 10) { return Series(FrameLayout(2), steps); }

TEST(Indicators, FrameValueSumsOverRegionsAndCategories) {
  Series s = two_regions();
  set(s, 0, Metric::exploited_by_form, 0, 0, 5);
  set(s, 0, Metric::exploited_by_form, 0, 1, 3);
  set(s, 0, Metric::exploited_by_form, 1, 1, 2);
  const auto f = s.frame(0);
  EXPECT_EQ(frame_value(s.layout(), f, Metric::exploited_by_form), 10);
  EXPECT_EQ(frame_value(s.layout(), f, Metric::exploited_by_form, 0), 8);
  EXPECT_EQ(frame_value(s.layout(), f, Metric::exploited_by_form, -1, 1), 5);
  EXPECT_EQ(frame_value(s.layout(), f, Metric::exploited_by_form, 1, 0), 0);
}

TEST(Indicators, StocksAreShownAsTheyAre) {
  Series s = two_regions();
  for (std::size_t t = 0; t < 10; ++t) set(s, t, Metric::traffickers_active, 1, 0, static_cast<double>(t));
  const auto v = indicator_series(s, 10, Indicator::TraffickersActive, -1, 7);
  ASSERT_EQ(v.size(), 10u);
  EXPECT_EQ(v[7], 7);
  EXPECT_EQ(indicator_series(s, 4, Indicator::TraffickersActive, 0, 7)[3], 0);
}

TEST(Indicators, FlowsPerYearAreAMovingAverageTimesStepsPerYear) {
  // Monthly-ish steps of 73 days: five steps a year, a window of five.
  Series s = two_regions(8);
  for (std::size_t t = 0; t < 8; ++t) set(s, t, Metric::convictions, 0, 0, t < 4 ? 1.0 : 0.0);
  const auto v = indicator_series(s, 8, Indicator::ConvictionsPerYear, -1, 73);
  // One conviction every step is five a year, from the first step on.
  EXPECT_DOUBLE_EQ(v[0], 5);
  EXPECT_DOUBLE_EQ(v[3], 5);
  // Step 4: window steps 0..4 hold 4 convictions -> 4 a year.
  EXPECT_DOUBLE_EQ(v[4], 4);
  // Step 7: window 3..7 holds 1.
  EXPECT_DOUBLE_EQ(v[7], 1);
}

TEST(Indicators, RatesStartAfterAQuarterOfAYear) {
  Series s = two_regions(20);
  for (std::size_t t = 0; t < 20; ++t) set(s, t, Metric::identified_by_form, 0, 0, 1);
  const auto v = indicator_series(s, 20, Indicator::IdentifiedPerYear, -1, 7);
  for (std::size_t t = 0; t < 12; ++t) EXPECT_TRUE(std::isnan(v[t])) << t;
  EXPECT_NEAR(v[12], 365.0 / 7, 1e-9);
  EXPECT_NEAR(v[19], 365.0 / 7, 1e-9);
}

TEST(Indicators, PopulationOfARegion) {
  Series s = two_regions();
  set(s, 2, Metric::persons_by_state, 0, kFree, 900);
  set(s, 2, Metric::persons_by_state, 0, kRecruited, 4);
  set(s, 2, Metric::persons_by_state, 0, kExploited, 30);
  set(s, 2, Metric::persons_by_state, 0, kInProtection, 6);
  set(s, 2, Metric::exploited_by_form, 0, 0, 20);
  set(s, 2, Metric::exploited_by_form, 0, 3, 10);
  set(s, 2, Metric::shelter_capacity, 0, 0, 8);
  const RegionPopulation p = population_in(s.layout(), s.frame(2), 0);
  EXPECT_EQ(p.free, 900);
  EXPECT_EQ(p.recruited, 4);
  EXPECT_EQ(p.exploited[0], 20);
  EXPECT_EQ(p.exploited[3], 10);
  EXPECT_EQ(p.in_protection, 6);
  EXPECT_EQ(p.shelter_places, 8);
  EXPECT_EQ(p.trafficked(), 40);
}

TEST(Indicators, RouteFlowEstimateSplitsByShareRecruitmentAndForm) {
  Scenario sc = default_scenario();
  sc.regions.resize(3, sc.regions[0]);
  sc.routes = {{0, 2, 0.5, 1}, {1, 2, 0.25, 1}};
  const FrameLayout layout(3);
  std::vector<double> frame(layout.size(), 0.0);
  frame[layout.index(Metric::exploited_abroad, 2)] = 60;
  frame[layout.index(Metric::exploited_by_form, 2, 0)] = 30;  // half sexual
  frame[layout.index(Metric::exploited_by_form, 2, 1)] = 30;  // half labour
  // Origin 0 recruited 100, origin 1 recruited 100: weights 0.5x100 : 0.25x100.
  const std::vector<double> recruited = {100, 100, 0};
  const RouteFlows f = estimate_route_flows(sc, layout, frame, recruited);
  EXPECT_NEAR(f.total(0, 2), 40, 1e-9);
  EXPECT_NEAR(f.total(1, 2), 20, 1e-9);
  EXPECT_NEAR(f.at(0, 2, 0), 20, 1e-9);
  EXPECT_NEAR(f.at(1, 2, 1), 10, 1e-9);
  EXPECT_EQ(f.total(2, 0), 0);
  EXPECT_NEAR(f.largest_route_total(), 40, 1e-9);
  // Before anyone is recruited, shares alone decide.
  const RouteFlows early = estimate_route_flows(sc, layout, frame, std::vector<double>{0, 0, 0});
  EXPECT_NEAR(early.total(0, 2), 40, 1e-9);
}

TEST(Indicators, CountedFlowsFollowTheRoutesOfALiveWorld) {
  const Scenario sc = load_scenario_file(std::string(test_paths::source_dir) + "/scenarios/tiny.toml");
  Simulation sim(sc, 0);
  for (int i = 0; i < 20; ++i) sim.step();
  const RouteFlows f = count_route_flows(sim.state());
  ASSERT_EQ(f.regions, 2u);
  // tiny.toml has one route, Home -> Away: nobody goes the other way.
  EXPECT_GT(f.total(0, 1), 0);
  EXPECT_EQ(f.total(1, 0), 0);
  EXPECT_EQ(f.total(0, 0), 0);
  // Everyone exploited abroad in Away came along that route (plus those in transit).
  const double abroad = sim.series().at(19, Metric::exploited_abroad, 1);
  EXPECT_GE(f.total(0, 1), abroad);
}

TEST(Indicators, FormTitlesAreWords) {
  EXPECT_EQ(form_title(0), "sexual exploitation");
  EXPECT_EQ(form_title(1), "forced labour");
  EXPECT_EQ(form_title(2), "domestic servitude");
  EXPECT_EQ(form_title(3), "forced criminality");
}

}  // namespace
}  // namespace tipsim::viz

// model.cpp: a scenario compiled into its model: the persons of each region
// in one index range by population share, blocks that tile each range, the
// route tables, the frame layout.
#include "model.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "test_worlds.hpp"

namespace tipsim {
namespace {

TEST(Model, RegionsHoldTheirShareOfThePersonsInConsecutiveRanges) {
  Scenario s = test::tiny_scenario(1000, 3);
  test::set_regional(s, 0, Param::population_share, 1);
  test::set_regional(s, 1, Param::population_share, 3);
  test::set_regional(s, 2, Param::population_share, 0);
  const Model m = compile_model(s);
  ASSERT_EQ(m.region_count(), 3u);
  EXPECT_EQ(m.regions[0].person_begin, 0u);
  EXPECT_EQ(m.regions[0].person_end, 250u);
  EXPECT_EQ(m.regions[1].person_begin, 250u);
  EXPECT_EQ(m.regions[1].person_end, 1000u);
  EXPECT_EQ(m.regions[2].person_begin, 1000u);  // a region of nobody is an empty range
  EXPECT_EQ(m.regions[2].person_end, 1000u);
  for (const RegionModel& r : m.regions) EXPECT_EQ(r.population, r.person_end - r.person_begin);
  EXPECT_EQ(m.person_count(), 1000u);
  EXPECT_EQ(m.seed, s.seed());
  EXPECT_EQ(m.steps, s.steps());
  EXPECT_DOUBLE_EQ(m.step_years, s.step_years());
}

TEST(Model, BlocksTileEveryRegionWithoutCrossingIt) {
  Scenario s = test::tiny_scenario(300000, 2);
  test::set_regional(s, 1, Param::population_share, 2);
  const Model m = compile_model(s);
  std::uint32_t next = 0;
  for (const PersonBlock& b : m.blocks) {
    EXPECT_EQ(b.begin, next) << "blocks leave a gap or overlap";
    EXPECT_GT(b.end, b.begin);
    EXPECT_LE(b.end - b.begin, 1u << 16);
    EXPECT_GE(b.begin, m.regions[b.region].person_begin);
    EXPECT_LE(b.end, m.regions[b.region].person_end);
    next = b.end;
  }
  EXPECT_EQ(next, 300000u);
}

TEST(Model, RoutesLeaveTheRestAtHomeAndKeepTheirTransitTime) {
  Scenario s = test::tiny_scenario(1000, 3);
  s.routes.push_back(RouteSpec{0, 1, 0.25, 28});
  s.routes.push_back(RouteSpec{0, 2, 0.5, 42});
  const Model m = compile_model(s);
  const double* row = &m.route_cumulative[0];
  EXPECT_DOUBLE_EQ(row[0], 0.25);  // home: 1 - 0.25 - 0.5
  EXPECT_DOUBLE_EQ(row[1], 0.5);
  EXPECT_DOUBLE_EQ(row[2], 1.0);
  // Days become steps of the scenario's length (7 days by default).
  EXPECT_DOUBLE_EQ(m.route_transit_steps[0 * 3 + 1], 4.0);
  EXPECT_DOUBLE_EQ(m.route_transit_steps[0 * 3 + 2], 6.0);
  EXPECT_DOUBLE_EQ(m.route_transit_steps[1 * 3 + 0], 0.0);
  // A region without routes keeps everyone at home.
  EXPECT_DOUBLE_EQ(m.route_cumulative[1 * 3 + 0], 0.0);
  EXPECT_DOUBLE_EQ(m.route_cumulative[1 * 3 + 1], 1.0);
  EXPECT_DOUBLE_EQ(m.route_cumulative[1 * 3 + 2], 1.0);
  EXPECT_EQ(m.layout.regions(), 3u);
}

}  // namespace
}  // namespace tipsim

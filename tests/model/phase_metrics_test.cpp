// Phase 11 (phase_metrics.cpp): the stocks of a step's frame. FREE persons
// by home region, everyone else by the region they are in; exploited
// persons by form, market and debt bond, and those abroad, by region of
// exploitation; traffickers by state in their base region; each region's
// shelter places, perceived risk and mean awareness.
#include <gtest/gtest.h>

#include "test_worlds.hpp"

namespace tipsim {
namespace {

using test::World;

double state_count(World& w, std::size_t region, PersonState state) {
  return w.metric(Metric::persons_by_state, region, static_cast<std::size_t>(state));
}

// Three regions of 1 000 people. From region 0: three exploited at home
// in construction (one held by a debt), two exploited for sex in region 2,
// one in transit to region 1, one in a shelter of region 1. From region 1:
// one in a shelter at home.
struct StockWorld {
  Scenario s = test::quiet_scenario(3000, 3);
  World w;
  StockWorld() {
    w = test::make_world(s);
    const std::int32_t builder =
        test::add_trafficker(w, 0, Method::DebtBased, Market::LabourConstruction, 20);
    const std::int32_t pimp = test::add_trafficker(w, 0, Method::Romance, Market::Sexual, 20);
    for (std::uint32_t i = 0; i < 3; ++i) test::make_exploited(w, i, builder);
    w.persons.debt[2] = 900.0f;
    w.persons.flags[2] |= person_flag::kDebtBonded;
    test::make_exploited(w, 3, pimp, 2);
    test::make_exploited(w, 4, pimp, 2);
    test::make_in_transit(w, 5, builder, 1);
    w.regions[1].shelter_capacity = 5;
    test::make_in_protection(w, 6, 1, Market::Sexual, 0);
    test::make_in_protection(w, 1500, 1, Market::LabourOther, 0);
    collect_metrics(w);
  }
};

TEST(Metrics, PersonsAreCountedAtHomeWhenFreeAndWhereTheyAreOtherwise) {
  StockWorld sw;
  World& w = sw.w;
  EXPECT_EQ(state_count(w, 0, PersonState::Free), 993.0);
  EXPECT_EQ(state_count(w, 1, PersonState::Free), 999.0);
  EXPECT_EQ(state_count(w, 2, PersonState::Free), 1000.0);
  EXPECT_EQ(state_count(w, 1, PersonState::Recruited), 1.0);
  EXPECT_EQ(state_count(w, 0, PersonState::Exploited), 3.0);
  EXPECT_EQ(state_count(w, 2, PersonState::Exploited), 2.0);
  EXPECT_EQ(state_count(w, 1, PersonState::InProtection), 2.0);
  EXPECT_EQ(test::frame_total(w, Metric::persons_by_state), 3000.0);
}

TEST(Metrics, ExploitedPersonsAreCountedWhereTheyAreExploited) {
  StockWorld sw;
  World& w = sw.w;
  const auto labour = static_cast<std::size_t>(Form::Labour), sexual = static_cast<std::size_t>(Form::Sexual);
  EXPECT_EQ(w.metric(Metric::exploited_by_form, 0, labour), 3.0);
  EXPECT_EQ(w.metric(Metric::exploited_by_form, 2, sexual), 2.0);
  EXPECT_EQ(test::frame_total(w, Metric::exploited_by_form), 5.0);
  EXPECT_EQ(w.metric(Metric::exploited_by_market, 0, static_cast<std::size_t>(Market::LabourConstruction)),
            3.0);
  EXPECT_EQ(w.metric(Metric::exploited_by_market, 2, static_cast<std::size_t>(Market::Sexual)), 2.0);
  EXPECT_EQ(test::frame_total(w, Metric::exploited_by_market), 5.0);
  EXPECT_EQ(w.metric(Metric::exploited_debt_bonded, 0, labour), 1.0);
  EXPECT_EQ(test::frame_total(w, Metric::exploited_debt_bonded), 1.0);
  // Abroad counts in the region of exploitation; the person in transit is
  // not yet exploited.
  EXPECT_EQ(w.metric(Metric::exploited_abroad, 2), 2.0);
  EXPECT_EQ(test::frame_total(w, Metric::exploited_abroad), 2.0);
}

TEST(Metrics, RegionsReportTheirShelterPlacesRiskAndAwareness) {
  StockWorld sw;
  World& w = sw.w;
  w.regions[2].perceived_risk[static_cast<std::size_t>(Market::DomesticServitude)] = 0.3;
  w.regions[2].awareness_mean = 0.45;
  std::fill(w.frame.begin(), w.frame.end(), 0.0);
  collect_metrics(w);
  // Places, not the two people occupying them.
  EXPECT_EQ(w.metric(Metric::shelter_capacity, 1), 5.0);
  EXPECT_EQ(w.metric(Metric::shelter_capacity, 0), static_cast<double>(w.regions[0].shelter_capacity));
  EXPECT_EQ(w.metric(Metric::perceived_risk, 2, static_cast<std::size_t>(Market::DomesticServitude)), 0.3);
  EXPECT_EQ(w.metric(Metric::perceived_risk, 2, static_cast<std::size_t>(Market::Sexual)), 0.0);
  EXPECT_EQ(w.metric(Metric::awareness_mean, 2), 0.45);
}

TEST(Metrics, TraffickersAreCountedByStateInTheirBaseRegion) {
  StockWorld sw;
  World& w = sw.w;
  const std::int32_t jailed = test::add_trafficker(w, 1, Method::Abduction, Market::Sexual, 2);
  const std::int32_t retired = test::add_trafficker(w, 2, Method::Abduction, Market::Sexual, 2);
  w.traffickers.state[jailed] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
  w.traffickers.state[retired] = static_cast<std::uint8_t>(TraffickerState::Desisted);
  std::fill(w.frame.begin(), w.frame.end(), 0.0);
  collect_metrics(w);
  EXPECT_EQ(w.metric(Metric::traffickers_active, 0), 2.0);
  EXPECT_EQ(test::frame_total(w, Metric::traffickers_active), 2.0);
  EXPECT_EQ(w.metric(Metric::traffickers_incarcerated, 1), 1.0);
  EXPECT_EQ(test::frame_total(w, Metric::traffickers_incarcerated), 1.0);
  // The region counts are refreshed too.
  EXPECT_EQ(w.regions[0].traffickers_active, 2u);
  EXPECT_EQ(w.regions[1].traffickers_active, 0u);
  EXPECT_EQ(w.regions[2].traffickers_active, 0u);
}

}  // namespace
}  // namespace tipsim

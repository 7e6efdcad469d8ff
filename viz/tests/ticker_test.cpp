#include "ticker.hpp"

#include <gtest/gtest.h>

#include "series_cell.hpp"

namespace tipsim::viz {
namespace {

using testing::set;

Scenario two_region_scenario() {
  Scenario s = default_scenario();
  s.regions.resize(2, s.regions[0]);
  s.regions[0].name = "Borvia";
  s.regions[1].name = "Corland";
  s.globals[Param::scenario_steps] = 60;
  return s;
}

bool has_text(const std::vector<TickerEvent>& events, const std::string& text) {
  for (const TickerEvent& e : events)
    if (e.text == text) return true;
  return false;
}

TEST(Ticker, FirstConvictionAndLaterSpikes) {
  const Scenario sc = two_region_scenario();
  Series s(FrameLayout(2), 60);
  set(s, 3, Metric::convictions, 0, 0, 1);
  // A steady trickle: one conviction every other step, then a spike of 4.
  for (std::size_t t = 10; t < 40; t += 2) set(s, t, Metric::convictions, 0, 1, 1);
  set(s, 41, Metric::convictions, 0, 0, 4);
  const auto events = detect_events(sc, s, 60);
  EXPECT_TRUE(has_text(events, "week 4: first conviction in Borvia"));
  EXPECT_TRUE(has_text(events, "week 42: 4 convictions in Borvia"));
  // The trickle is routine, not news.
  int conviction_events = 0;
  for (const TickerEvent& e : events) conviction_events += e.kind == TickerKind::Convictions;
  EXPECT_LE(conviction_events, 4);
  for (const TickerEvent& e : events) EXPECT_NE(e.region, 1);
}

TEST(Ticker, SheltersFullAndRoomAgain) {
  const Scenario sc = two_region_scenario();
  Series s(FrameLayout(2), 60);
  for (std::size_t t = 0; t < 60; ++t) set(s, t, Metric::shelter_capacity, 1, 0, 12);
  const std::size_t in_protection = 3;
  for (std::size_t t = 0; t < 60; ++t)
    set(s, t, Metric::persons_by_state, 1, in_protection, t < 20 ? 5.0 : 12.0);
  set(s, 25, Metric::protection_turned_away, 1, 0, 2);
  for (std::size_t t = 40; t < 60; ++t) set(s, t, Metric::persons_by_state, 1, in_protection, 7);
  const auto events = detect_events(sc, s, 60);
  EXPECT_TRUE(has_text(events, "week 21: shelters full in Corland (12 places)"));
  EXPECT_TRUE(has_text(events, "week 44: shelters in Corland have room again"));
  int full = 0;
  for (const TickerEvent& e : events) full += e.kind == TickerKind::SheltersFull;
  EXPECT_EQ(full, 1);  // staying full is not news again
}

TEST(Ticker, AFewPlacesFillingAndEmptyingIsNotAStream) {
  const Scenario sc = two_region_scenario();
  Series s(FrameLayout(2), 60);
  const std::size_t in_protection = 3;
  for (std::size_t t = 0; t < 60; ++t) {
    set(s, t, Metric::shelter_capacity, 0, 0, 1);
    set(s, t, Metric::persons_by_state, 0, in_protection, (t / 5) % 2 == 0 ? 1.0 : 0.0);
  }
  const auto events = detect_events(sc, s, 60);
  EXPECT_TRUE(has_text(events, "week 1: shelters full in Borvia (1 place)"));
  int full = 0;
  for (const TickerEvent& e : events) full += e.kind == TickerKind::SheltersFull;
  EXPECT_LE(full, 3);  // at most every half year
}

TEST(Ticker, InterventionsAreAnnounced) {
  Scenario sc = two_region_scenario();
  InterventionSpec iv;
  iv.name = "surge";
  iv.start_step = 52;
  iv.end_step = 60;
  iv.changes.push_back({Param::policy_prosecution_investigators_per_100k, LeverOp::Scale, 3});
  sc.interventions.push_back(iv);
  InterventionSpec slider;
  slider.name = "viewer";
  slider.start_step = 10;
  slider.end_step = 60;
  slider.region = 1;
  slider.changes.push_back({Param::policy_protection_shelter_beds_per_100k, LeverOp::Set, 40});
  slider.changes.push_back({Param::policy_protection_non_punishment, LeverOp::Set, 0});

  Series s(FrameLayout(2), 60);
  EventDetector detector(sc);
  std::vector<TickerEvent> events;
  const std::vector<InterventionSpec> extra = {slider};
  for (std::int32_t t = 0; t < 60; ++t) detector.observe(s, t, extra, events);
  EXPECT_TRUE(has_text(events, "week 53: investigators per 100k x3 in all regions"));
  EXPECT_TRUE(has_text(events, "week 11: shelter beds per 100k = 40, non punishment off in Corland"));
  EXPECT_EQ(detector.next_step(), 60);
}

TEST(Ticker, IdentificationSpikesNeedAFewVictims) {
  const Scenario sc = two_region_scenario();
  Series s(FrameLayout(2), 60);
  set(s, 5, Metric::identified_by_form, 1, 0, 2);  // too few to be news
  set(s, 30, Metric::identified_by_form, 1, 0, 6);
  const auto events = detect_events(sc, s, 60);
  EXPECT_FALSE(has_text(events, "week 6: 2 victims identified in Corland"));
  EXPECT_TRUE(has_text(events, "week 31: 6 victims identified in Corland"));
}

}  // namespace
}  // namespace tipsim::viz

#include "layout.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tipsim::viz {
namespace {

bool overlap(const Rect& a, const Rect& b) {
  return a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom();
}

std::vector<Rect> panels(const ScreenLayout& s) {
  std::vector<Rect> out;
  for (const Rect& r : {s.controls, s.scenario, s.levers, s.ticker, s.map, s.population, s.charts, s.map_b,
                        s.population_b, s.charts_b})
    if (!r.empty()) out.push_back(r);
  return out;
}

TEST(Layout, EveryModeFillsTheWindowWithoutOverlaps) {
  for (ViewerMode mode : {ViewerMode::Live, ViewerMode::Replay, ViewerMode::Compare}) {
    for (auto [w, h] : {std::pair{1600.f, 1000.f}, std::pair{1280.f, 720.f}, std::pair{1920.f, 1080.f}}) {
      const ScreenLayout s = layout_screen(mode, w, h);
      const auto all = panels(s);
      for (const Rect& r : all) {
        EXPECT_GE(r.x, 0);
        EXPECT_GE(r.y, 0);
        EXPECT_LE(r.right(), w + 0.5f);
        EXPECT_LE(r.bottom(), h + 0.5f);
        EXPECT_GT(r.w, 100);
        EXPECT_GT(r.h, 40);
      }
      for (std::size_t i = 0; i < all.size(); ++i)
        for (std::size_t j = 0; j < i; ++j) EXPECT_FALSE(overlap(all[i], all[j])) << i << " " << j;
    }
  }
}

TEST(Layout, ModesHaveTheirOwnPanels) {
  const ScreenLayout live = layout_screen(ViewerMode::Live, 1600, 1000);
  EXPECT_FALSE(live.levers.empty());
  EXPECT_FALSE(live.ticker.empty());
  EXPECT_TRUE(live.map_b.empty());
  const ScreenLayout replay = layout_screen(ViewerMode::Replay, 1600, 1000);
  EXPECT_TRUE(replay.levers.empty());
  EXPECT_FALSE(replay.ticker.empty());
  const ScreenLayout compare = layout_screen(ViewerMode::Compare, 1600, 1000);
  EXPECT_FALSE(compare.map_b.empty());
  EXPECT_FALSE(compare.charts_b.empty());
  // Side by side: the second run's panels are to the right of the first's.
  EXPECT_GE(compare.map_b.x, compare.map.right());
  EXPECT_EQ(compare.map_b.y, compare.map.y);
}

TEST(Layout, SplitRowsStacksEqualRows) {
  const auto rows = split_rows({10, 20, 300, 310}, 3, 5);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_FLOAT_EQ(rows[0].y, 20);
  EXPECT_FLOAT_EQ(rows[0].h, 100);
  EXPECT_FLOAT_EQ(rows[1].y, 125);
  EXPECT_FLOAT_EQ(rows[2].bottom(), 330);
}

TEST(Layout, RegionsUseTheirMapCoordinates) {
  const std::vector<double> x = {0.8, 0.2}, y = {0.25, 0.7};
  const auto p = region_positions(x, y);
  EXPECT_FLOAT_EQ(p[0].x, 0.8f);
  EXPECT_FLOAT_EQ(p[0].y, 0.25f);
  EXPECT_FLOAT_EQ(p[1].x, 0.2f);
  EXPECT_FLOAT_EQ(p[1].y, 0.7f);
}

TEST(Layout, RegionsWithoutCoordinatesGoOnACircle) {
  const std::vector<double> none2 = {-1, -1};
  const auto two = region_positions(none2, none2);
  // Two regions side by side, left first.
  EXPECT_NEAR(two[0].x, 0.0, 1e-6);
  EXPECT_NEAR(two[0].y, 0.5, 1e-6);
  EXPECT_NEAR(two[1].x, 1.0, 1e-6);
  EXPECT_NEAR(two[1].y, 0.5, 1e-6);

  const std::vector<double> none4(4, -1.0);
  const auto four = region_positions(none4, none4);
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const float dx = four[i].x - four[j].x, dy = four[i].y - four[j].y;
      EXPECT_GT(dx * dx + dy * dy, 0.4f);  // well apart
    }
    EXPECT_GE(four[i].x, -1e-6);
    EXPECT_LE(four[i].x, 1 + 1e-6);
  }

  const std::vector<double> one = {-1};
  EXPECT_FLOAT_EQ(region_positions(one, one)[0].x, 0.5f);
}

TEST(Layout, MixedPlacementKeepsGivenCoordinates) {
  const std::vector<double> x = {0.3, -1, -1}, y = {0.3, -1, -1};
  const auto p = region_positions(x, y);
  EXPECT_FLOAT_EQ(p[0].x, 0.3f);
  EXPECT_NE(p[1].x, p[2].x);
}

TEST(Layout, MapPlacementKeepsAMargin) {
  const Rect area{100, 50, 400, 300};
  const Point top_left = place_on_map({0, 0}, area, 40);
  const Point bottom_right = place_on_map({1, 1}, area, 40);
  EXPECT_FLOAT_EQ(top_left.x, 140);
  EXPECT_FLOAT_EQ(top_left.y, 90);
  EXPECT_FLOAT_EQ(bottom_right.x, 460);
  EXPECT_FLOAT_EQ(bottom_right.y, 310);
}

TEST(Layout, FitToAreaFillsThePanelKeepingProportions) {
  // The baseline's four regions use x in [0.2, 0.8] and y in [0.2, 0.7].
  const std::vector<Point> unit = {{0.8f, 0.25f}, {0.5f, 0.45f}, {0.2f, 0.7f}, {0.2f, 0.2f}};
  const Rect area{100, 100, 600, 300};
  const auto p = fit_to_area(unit, area);
  // The height fits 0.5 units in 300 pixels (600 per unit); the width
  // would fit 1000 per unit but stretches only 1.5 times as much: 900.
  EXPECT_FLOAT_EQ(p[3].y, 100);
  EXPECT_FLOAT_EQ(p[2].y, 400);
  EXPECT_FLOAT_EQ(p[0].x - p[2].x, 0.6f * 900);
  // Centred horizontally.
  EXPECT_FLOAT_EQ((p[0].x + p[2].x) / 2, 400);
  // Proportions kept where the panel allows: a square panel, a square extent.
  const std::vector<Point> square = {{0.2f, 0.2f}, {0.6f, 0.6f}};
  const auto q = fit_to_area(square, Rect{0, 0, 400, 400});
  EXPECT_FLOAT_EQ(q[1].x - q[0].x, 400);
  EXPECT_FLOAT_EQ(q[1].y - q[0].y, 400);
  // A row of regions stretches across; one region sits in the middle.
  const std::vector<Point> row = {{0, 0.5f}, {1, 0.5f}};
  const auto r = fit_to_area(row, area);
  EXPECT_FLOAT_EQ(r[0].x, 100);
  EXPECT_FLOAT_EQ(r[1].x, 700);
  EXPECT_FLOAT_EQ(r[0].y, 250);
  const std::vector<Point> one = {{0.3f, 0.9f}};
  EXPECT_FLOAT_EQ(fit_to_area(one, area)[0].x, 400);
}

}  // namespace
}  // namespace tipsim::viz

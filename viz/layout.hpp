// Where things go on screen: the panels of each viewer mode for a window
// size, and the regions on the map. Plain geometry, so it is tested
// without a window and the screenshot tests know where to look.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace tipsim::viz {

struct Point {
  float x = 0;
  float y = 0;
};

struct Rect {
  float x = 0;
  float y = 0;
  float w = 0;
  float h = 0;
  float right() const { return x + w; }
  float bottom() const { return y + h; }
  Point centre() const { return {x + w / 2, y + h / 2}; }
  bool empty() const { return w <= 0 || h <= 0; }
  bool contains(Point p) const { return p.x >= x && p.x < right() && p.y >= y && p.y < bottom(); }
  // The rectangle shrunk by `margin` on every side (never below zero size).
  Rect inset(float margin) const;
};

enum class ViewerMode { Live, Replay, Compare };

// The panels of one screen. A panel a mode does not have is empty.
struct ScreenLayout {
  Rect controls;    // top bar: play, step, speed, reset, save (live); timeline and selectors (replay)
  Rect scenario;    // the scenario in plain words
  Rect levers;      // live only: sliders for every P and partnership
  Rect ticker;      // notable events, newest first
  Rect map;         // regions and the flows of trafficked people along routes
  Rect population;  // people by state and form, one bar per region
  Rect charts;      // time series, stacked
  // Compare mode: the second run's panels, in a column to the right of the
  // first run's (map, population, charts); no scenario, levers or ticker.
  Rect map_b;
  Rect population_b;
  Rect charts_b;
};

// The panels for a window of width x height pixels.
ScreenLayout layout_screen(ViewerMode mode, float width, float height);

// `count` rows of equal height filling `area`, with `gap` pixels between.
std::vector<Rect> split_rows(const Rect& area, std::size_t count, float gap);

// Positions of the regions in the unit square, y downwards: where a
// region gives map.x and map.y (both in [0, 1]) they are used; the others
// are spread evenly on a circle, the first on the left, clockwise. A single
// region without coordinates sits in the middle.
std::vector<Point> region_positions(std::span<const double> map_x, std::span<const double> map_y);

// A point of the unit square placed inside `area`, keeping `margin` pixels
// clear on every side for the regions' circles and names.
Point place_on_map(Point unit, const Rect& area, float margin);

// The positions scaled and centred to fill `area` as far as their own
// extent allows, one axis stretched at most 1.5 times the other: a
// scenario that uses only the middle of the unit square still gets the
// whole panel. Points in a line stretch along it; a single point sits in
// the centre.
std::vector<Point> fit_to_area(std::span<const Point> unit, const Rect& area);

}  // namespace tipsim::viz

#include "layout.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tipsim::viz {

Rect Rect::inset(float margin) const {
  return {x + margin, y + margin, std::max(0.0f, w - 2 * margin), std::max(0.0f, h - 2 * margin)};
}

namespace {

constexpr float kGap = 6;            // pixels between panels
constexpr float kMaxStretch = 1.5f;  // largest ratio of the map's x and y scales

// A column of panels from top to bottom; shares are fractions of the height.
std::vector<Rect> stack(const Rect& column, std::span<const float> shares) {
  std::vector<Rect> out;
  const float usable = column.h - kGap * static_cast<float>(shares.size() - 1);
  float y = column.y;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    const float h = i + 1 == shares.size() ? column.bottom() - y : std::round(usable * shares[i]);
    out.push_back({column.x, y, column.w, h});
    y += h + kGap;
  }
  return out;
}

// Columns side by side; shares are fractions of the width.
std::vector<Rect> columns(const Rect& area, std::span<const float> shares) {
  std::vector<Rect> out;
  const float usable = area.w - kGap * static_cast<float>(shares.size() - 1);
  float x = area.x;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    const float w = i + 1 == shares.size() ? area.right() - x : std::round(usable * shares[i]);
    out.push_back({x, area.y, w, area.h});
    x += w + kGap;
  }
  return out;
}

}  // namespace

ScreenLayout layout_screen(ViewerMode mode, float width, float height) {
  ScreenLayout s;
  // The control bar grows with the font, which follows the window height.
  const float bar = std::clamp(std::round(height * 0.075f), 56.0f, 110.0f);
  s.controls = {0, 0, width, bar};
  const Rect body = Rect{0, bar, width, height - bar}.inset(kGap);
  if (mode == ViewerMode::Compare) {
    // Each run in a column: its map and population side by side on top,
    // its charts below, where comparing needs the most room.
    const float halves[] = {0.5f, 0.5f};
    const auto cols = columns(body, halves);
    const float shares[] = {0.42f, 0.58f};
    const float top_split[] = {0.62f, 0.38f};
    const auto a = stack(cols[0], shares), b = stack(cols[1], shares);
    const auto a_top = columns(a[0], top_split), b_top = columns(b[0], top_split);
    s.map = a_top[0];
    s.population = a_top[1];
    s.charts = a[1];
    s.map_b = b_top[0];
    s.population_b = b_top[1];
    s.charts_b = b[1];
    return s;
  }
  const float widths[] = {0.25f, 0.38f, 0.37f};
  const auto cols = columns(body, widths);
  const float centre_shares[] = {0.60f, 0.40f};
  const auto centre = stack(cols[1], centre_shares);
  s.map = centre[0];
  s.population = centre[1];
  if (mode == ViewerMode::Live) {
    const float left_shares[] = {0.36f, 0.64f};
    const auto left = stack(cols[0], left_shares);
    s.scenario = left[0];
    s.levers = left[1];
    const float right_shares[] = {0.76f, 0.24f};
    const auto right = stack(cols[2], right_shares);
    s.charts = right[0];
    s.ticker = right[1];
  } else {
    const float left_shares[] = {0.55f, 0.45f};
    const auto left = stack(cols[0], left_shares);
    s.scenario = left[0];
    s.ticker = left[1];
    s.charts = cols[2];
  }
  return s;
}

std::vector<Rect> split_rows(const Rect& area, std::size_t count, float gap) {
  std::vector<Rect> out;
  if (count == 0) return out;
  const float h = (area.h - gap * static_cast<float>(count - 1)) / static_cast<float>(count);
  for (std::size_t i = 0; i < count; ++i)
    out.push_back({area.x, area.y + static_cast<float>(i) * (h + gap), area.w, std::max(0.0f, h)});
  return out;
}

std::vector<Point> region_positions(std::span<const double> map_x, std::span<const double> map_y) {
  const std::size_t n = std::min(map_x.size(), map_y.size());
  std::vector<Point> out(n);
  std::vector<std::size_t> automatic;
  for (std::size_t r = 0; r < n; ++r) {
    const bool placed = map_x[r] >= 0 && map_x[r] <= 1 && map_y[r] >= 0 && map_y[r] <= 1;
    if (placed) {
      out[r] = {static_cast<float>(map_x[r]), static_cast<float>(map_y[r])};
    } else {
      automatic.push_back(r);
    }
  }
  if (automatic.size() == 1 && automatic.size() == n) {
    out[automatic[0]] = {0.5f, 0.5f};
    return out;
  }
  for (std::size_t i = 0; i < automatic.size(); ++i) {
    // Clockwise from the left (y grows downwards on screen), so that two
    // regions sit side by side on a wide map.
    const double angle = std::numbers::pi + 2 * std::numbers::pi * static_cast<double>(i) /
                                                static_cast<double>(automatic.size());
    out[automatic[i]] = {static_cast<float>(0.5 + 0.5 * std::cos(angle)),
                         static_cast<float>(0.5 + 0.5 * std::sin(angle))};
  }
  return out;
}

Point place_on_map(Point unit, const Rect& area, float margin) {
  const Rect inner = area.inset(margin);
  return {inner.x + unit.x * inner.w, inner.y + unit.y * inner.h};
}

std::vector<Point> fit_to_area(std::span<const Point> unit, const Rect& area) {
  std::vector<Point> out;
  if (unit.empty()) return out;
  float lo_x = unit[0].x, hi_x = unit[0].x, lo_y = unit[0].y, hi_y = unit[0].y;
  for (const Point& p : unit) {
    lo_x = std::min(lo_x, p.x);
    hi_x = std::max(hi_x, p.x);
    lo_y = std::min(lo_y, p.y);
    hi_y = std::max(hi_y, p.y);
  }
  const float span_x = hi_x - lo_x, span_y = hi_y - lo_y;
  constexpr float kFlat = 1e-6f;
  float scale_x = span_x > kFlat ? area.w / span_x : 0;
  float scale_y = span_y > kFlat ? area.h / span_y : 0;
  if (scale_x > 0 && scale_y > 0) {
    // Stretch one way at most 1.5 times the other: the map stays
    // recognisable and still uses a wide or tall panel.
    const float tighter = std::min(scale_x, scale_y);
    scale_x = std::min(scale_x, tighter * kMaxStretch);
    scale_y = std::min(scale_y, tighter * kMaxStretch);
  }
  const Point centre = area.centre();
  for (const Point& p : unit)
    out.push_back(
        {centre.x + (p.x - (lo_x + hi_x) / 2) * scale_x, centre.y + (p.y - (lo_y + hi_y) / 2) * scale_y});
  return out;
}

}  // namespace tipsim::viz

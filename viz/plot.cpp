#include "plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "chart_scale.hpp"
#include "timeline.hpp"

namespace tipsim::viz {

namespace {

// Last finite value at or before `step`.
double value_at(std::span<const double> values, std::int32_t step) {
  if (values.empty()) return std::nan("");
  const auto last = static_cast<std::size_t>(
      std::clamp<std::int64_t>(step, 0, static_cast<std::int64_t>(values.size()) - 1));
  return values[last];
}

std::string legend_value(double v) {
  if (!std::isfinite(v)) return "";
  if (std::abs(v) >= 100 || std::abs(v - std::round(v)) < 1e-9) return count_text(v);
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

// A line through the points; dashed (dashes measured along the line,
// whatever the spacing of the points) when `dash_unit` > 0.
void draw_polyline(ImDrawList* draw, const std::vector<ImVec2>& points, ImU32 colour, float thickness,
                   float dash_unit) {
  if (points.empty()) return;
  if (points.size() == 1) {
    draw->AddCircleFilled(points[0], thickness + 1, colour);
    return;
  }
  if (dash_unit <= 0) {
    draw->AddPolyline(points.data(), static_cast<int>(points.size()), colour, ImDrawFlags_None, thickness);
    return;
  }
  const float dash = dash_unit * 0.5f, gap = dash_unit * 0.3f;
  float phase = 0;
  for (std::size_t i = 0; i + 1 < points.size(); ++i) {
    const ImVec2 a = points[i], b = points[i + 1];
    const float length = std::hypot(b.x - a.x, b.y - a.y);
    float t = 0;
    while (t < length) {
      const bool on = phase < dash;
      const float run = std::min(length - t, on ? dash - phase : dash + gap - phase);
      if (on) {
        const float t0 = t / length, t1 = (t + run) / length;
        draw->AddLine({a.x + (b.x - a.x) * t0, a.y + (b.y - a.y) * t0},
                      {a.x + (b.x - a.x) * t1, a.y + (b.y - a.y) * t1}, colour, thickness);
      }
      t += run;
      phase += run;
      if (phase >= dash + gap) phase = 0;
    }
  }
}

}  // namespace

void draw_dashed_line(ImDrawList* draw, ImVec2 a, ImVec2 b, ImU32 colour, float thickness, float dash,
                      float gap) {
  const float dx = b.x - a.x, dy = b.y - a.y;
  const float length = std::sqrt(dx * dx + dy * dy);
  if (length <= 0) return;
  const float ux = dx / length, uy = dy / length;
  for (float t = 0; t < length; t += dash + gap) {
    const float e = std::min(length, t + dash);
    draw->AddLine({a.x + ux * t, a.y + uy * t}, {a.x + ux * e, a.y + uy * e}, colour, thickness);
  }
}

float draw_legend_item(ImDrawList* draw, ImVec2 at, ImU32 colour, const char* text, ImFont* font) {
  const float h = font->FontSize;
  const float box = std::round(h * 0.7f);
  const float top = at.y + (h - box) / 2;
  draw->AddRectFilled({at.x, top}, {at.x + box, top + box}, colour, 2);
  const float text_x = at.x + box + h * 0.3f;
  draw->AddText(font, font->FontSize, {text_x, at.y}, colour::kText, text);
  return text_x + font->CalcTextSizeA(font->FontSize, 1e9f, 0, text).x + h * 0.9f;
}

void draw_label(ImDrawList* draw, ImVec2 centre, const char* text, ImFont* font, ImU32 text_colour) {
  const ImVec2 size = font->CalcTextSizeA(font->FontSize, 1e9f, 0, text);
  const float pad = font->FontSize * 0.25f;
  const ImVec2 a{centre.x - size.x / 2 - pad, centre.y - size.y / 2 - pad * 0.5f};
  const ImVec2 b{centre.x + size.x / 2 + pad, centre.y + size.y / 2 + pad * 0.5f};
  draw->AddRectFilled(a, b, colour::with_alpha(colour::kPanel, 225), pad);
  draw->AddText(font, font->FontSize, {a.x + pad, a.y + pad * 0.5f}, text_colour, text);
}

void draw_stacked_bar(ImDrawList* draw, const Rect& bar, std::span<const double> segments,
                      std::span<const ImU32> colours, double scale) {
  draw->AddRectFilled({bar.x, bar.y}, {bar.right(), bar.bottom()}, IM_COL32(243, 245, 248, 255), 2);
  if (scale <= 0) return;
  float x = bar.x;
  for (std::size_t i = 0; i < segments.size() && i < colours.size(); ++i) {
    const float w = static_cast<float>(std::max(0.0, segments[i]) / scale) * bar.w;
    if (w <= 0) continue;
    const float right = std::min(bar.right(), x + w);
    draw->AddRectFilled({x, bar.y}, {right, bar.bottom()}, colours[i]);
    x = right;
  }
}

ValueRange lines_range(std::span<const ChartLine> lines) {
  ValueRange range{0, 1};
  bool first = true;
  for (const ChartLine& line : lines) {
    for (auto values : {line.values, line.band_low, line.band_high}) {
      if (values.empty()) continue;
      const ValueRange r = covering_range(values);
      range = first ? r : merge(range, r);
      first = false;
    }
  }
  return range;
}

namespace {

// Where a chart's plot lies once its title, legend and labels have their
// room, and its scales from values to pixels.
struct ChartArea {
  float top, left, right, bottom;  // the plot's edges
  float label_width;               // of the widest y label
  AxisTicks y_ticks;
  LinearScale x, y;
  double years_total;
};

// Title, then the legend with each line's current value: on the title's
// row when there is room, else on rows below. Returns the legend's bottom.
float draw_title_and_legend(ImDrawList* draw, const Rect& area, const ChartFrame& frame,
                            std::span<const ChartLine> lines, const Fonts& fonts) {
  ImFont* small = fonts.small;
  const float line_h = fonts.body->FontSize;
  const float small_h = small->FontSize;
  const float title_w = fonts.bold->CalcTextSizeA(fonts.bold->FontSize, 1e9f, 0, frame.title.c_str()).x;
  draw->AddText(fonts.bold, fonts.bold->FontSize, {area.x, area.y}, colour::kText, frame.title.c_str());
  const std::int32_t shown_step = frame.cursor >= 0 ? frame.cursor : std::numeric_limits<std::int32_t>::max();
  std::vector<std::string> texts;
  float legend_w = 0;
  for (const ChartLine& line : lines) {
    if (!line.in_legend) {
      texts.emplace_back();
      continue;
    }
    texts.push_back(line.label + " " + legend_value(value_at(line.values, shown_step)));
    legend_w += small->CalcTextSizeA(small_h, 1e9f, 0, texts.back().c_str()).x + small_h * 1.6f;
  }
  const bool same_row = title_w + line_h + legend_w <= area.w;
  const float legend_left = same_row ? area.x + title_w + line_h : area.x;
  float legend_y = same_row ? area.y + (line_h - small_h) / 2 : area.y + line_h * 1.2f;
  float legend_x = legend_left;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].in_legend) continue;
    const float width = small->CalcTextSizeA(small_h, 1e9f, 0, texts[i].c_str()).x + small_h * 2;
    if (legend_x > legend_left && legend_x + width > area.right()) {
      legend_x = area.x;
      legend_y += small_h * 1.25f;
    }
    legend_x = draw_legend_item(draw, {legend_x, legend_y}, lines[i].colour, texts[i].c_str(), small);
  }
  if (same_row) legend_y = area.y + line_h * 0.2f;
  return legend_y + small_h * 1.5f;
}

// The plot below `top`, with room for the y labels; nothing when too small.
std::optional<ChartArea> place_plot(const Rect& area, float top, const ChartFrame& frame,
                                    std::span<const ChartLine> lines, ImFont* small) {
  const float small_h = small->FontSize;
  // The y range covers every line and band drawn, unless it is fixed.
  const ValueRange range = frame.y_range ? *frame.y_range : lines_range(lines);
  const int y_ticks_wanted = std::max(3, static_cast<int>((area.bottom() - top) / (small_h * 2.2f)));
  const AxisTicks y_ticks = nice_ticks(range, std::min(y_ticks_wanted, 5));
  float label_width = 0;
  for (double v : y_ticks.values)
    label_width =
        std::max(label_width, small->CalcTextSizeA(small_h, 1e9f, 0, tick_label(v, y_ticks.step).c_str()).x);
  const float left = area.x + label_width + small_h * 0.6f;
  const float right = area.right() - small_h * 0.8f;
  const float bottom = area.bottom() - small_h * 1.4f;
  if (right - left < 20 || bottom - top < 20) return std::nullopt;
  const double years_total = frame.steps * frame.step_days / 365.0;
  return ChartArea{top,
                   left,
                   right,
                   bottom,
                   label_width,
                   y_ticks,
                   LinearScale({0, years_total}, left, right),
                   LinearScale(y_ticks.range, bottom, top),
                   years_total};
}

// Grid and y labels; in a short chart every other label, so they never touch.
void draw_y_axis(ImDrawList* draw, const ChartArea& c, ImFont* small) {
  const float small_h = small->FontSize;
  const AxisTicks& ticks = c.y_ticks;
  const float tick_spacing =
      ticks.values.size() > 1
          ? static_cast<float>(c.y.to_pixel(ticks.values[0]) - c.y.to_pixel(ticks.values[1]))
          : 1e9f;
  const auto stride =
      static_cast<std::size_t>(std::max(1.0f, std::ceil(small_h * 1.05f / std::max(1.0f, tick_spacing))));
  for (std::size_t i = 0; i < ticks.values.size(); ++i) {
    const double v = ticks.values[i];
    const float py = static_cast<float>(c.y.to_pixel(v));
    draw->AddLine({c.left, py}, {c.right, py}, colour::kGrid, 1);
    if (i % stride != 0) continue;
    const std::string label = tick_label(v, ticks.step);
    const float w = small->CalcTextSizeA(small_h, 1e9f, 0, label.c_str()).x;
    draw->AddText(small, small_h, {c.left - small_h * 0.4f - w, py - small_h / 2}, colour::kMutedText,
                  label.c_str());
  }
}

// Years along the bottom: plain numbers, and the unit once at the right.
void draw_x_axis(ImDrawList* draw, const Rect& area, const ChartArea& c, ImFont* small) {
  const float small_h = small->FontSize;
  const int x_ticks_wanted = std::max(2, static_cast<int>((c.right - c.left) / (small_h * 4)));
  const AxisTicks x_ticks = nice_ticks({0, c.years_total}, std::min(x_ticks_wanted, 10));
  const char* unit = "years";
  const float unit_w = small->CalcTextSizeA(small_h, 1e9f, 0, unit).x;
  const float unit_x = area.right() - unit_w;
  draw->AddText(small, small_h, {unit_x, c.bottom + small_h * 0.3f}, colour::kMutedText, unit);
  for (double v : x_ticks.values) {
    if (v > c.years_total + 1e-9) continue;
    const float px = static_cast<float>(c.x.to_pixel(v));
    draw->AddLine({px, c.bottom}, {px, c.bottom + small_h * 0.3f}, colour::kAxis, 1);
    const std::string label = tick_label(v, x_ticks.step);
    const float w = small->CalcTextSizeA(small_h, 1e9f, 0, label.c_str()).x;
    const float lx = std::max(px - w / 2, c.left - c.label_width);
    if (lx + w > unit_x - small_h * 0.5f) continue;
    draw->AddText(small, small_h, {lx, c.bottom + small_h * 0.3f}, colour::kMutedText, label.c_str());
  }
  draw->AddLine({c.left, c.bottom}, {c.right, c.bottom}, colour::kAxis, 1);
}

float x_of_step(const ChartArea& c, const ChartFrame& frame, std::size_t step) {
  return static_cast<float>(c.x.to_pixel(years_at_end(static_cast<std::int32_t>(step), frame.step_days)));
}

// A line's band, without anti-aliased edges, so neighbouring quads meet
// without seams.
void draw_band(ImDrawList* draw, const ChartArea& c, const ChartFrame& frame, const ChartLine& line) {
  const std::size_t band_steps = std::min(line.band_low.size(), line.band_high.size());
  if (band_steps < 2) return;
  const ImDrawListFlags saved = draw->Flags;
  draw->Flags &= ~ImDrawListFlags_AntiAliasedFill;
  const ImU32 fill = colour::with_alpha(line.colour, 50);
  for (std::size_t s = 0; s + 1 < band_steps; ++s) {
    if (!std::isfinite(line.band_low[s]) || !std::isfinite(line.band_high[s]) ||
        !std::isfinite(line.band_low[s + 1]) || !std::isfinite(line.band_high[s + 1]))
      continue;
    const float x0 = x_of_step(c, frame, s), x1 = x_of_step(c, frame, s + 1);
    draw->AddQuadFilled({x0, static_cast<float>(c.y.to_pixel(line.band_high[s]))},
                        {x1, static_cast<float>(c.y.to_pixel(line.band_high[s + 1]))},
                        {x1, static_cast<float>(c.y.to_pixel(line.band_low[s + 1]))},
                        {x0, static_cast<float>(c.y.to_pixel(line.band_low[s]))}, fill);
  }
  draw->Flags = saved;
}

// One point per step, or per pixel column with its range for long runs; a
// NaN (no value yet) breaks the line.
void draw_line(ImDrawList* draw, const ChartArea& c, const ChartFrame& frame, const ChartLine& line,
               float dash) {
  if (line.values.empty()) return;
  const std::size_t columns = static_cast<std::size_t>(std::max(1.0f, c.right - c.left));
  std::vector<std::vector<ImVec2>> pieces(1);
  const auto buckets = reduce_to_buckets(line.values, columns);
  const bool reduced = buckets.size() < line.values.size();
  for (const Bucket& b : buckets) {
    const double v = line.values[b.last];
    if (!std::isfinite(v)) {
      if (!pieces.back().empty()) pieces.emplace_back();
      continue;
    }
    const float px = x_of_step(c, frame, b.last);
    pieces.back().push_back({px, static_cast<float>(c.y.to_pixel(v))});
    if (reduced && b.max > b.min)
      draw->AddLine({px, static_cast<float>(c.y.to_pixel(b.min))},
                    {px, static_cast<float>(c.y.to_pixel(b.max))}, colour::with_alpha(line.colour, 120), 1);
  }
  for (const std::vector<ImVec2>& points : pieces)
    draw_polyline(draw, points, line.colour, line.thickness, line.dashed ? dash : 0);
}

}  // namespace

void draw_chart(ImDrawList* draw, const Rect& area, const ChartFrame& frame, std::span<const ChartLine> lines,
                const Fonts& fonts) {
  const float top = draw_title_and_legend(draw, area, frame, lines, fonts);
  const std::optional<ChartArea> placed = place_plot(area, top, frame, lines, fonts.small);
  if (!placed) return;
  const ChartArea& c = *placed;
  draw_y_axis(draw, c, fonts.small);
  draw_x_axis(draw, area, c, fonts.small);

  draw->PushClipRect({c.left - 2, c.top - 2}, {c.right + 2, c.bottom + 2}, true);
  // Interventions: where a policy changed.
  for (std::int64_t m : frame.markers) {
    if (m < 0 || m >= frame.steps) continue;
    const float px = x_of_step(c, frame, static_cast<std::size_t>(m));
    draw_dashed_line(draw, {px, c.top}, {px, c.bottom}, colour::kMarker, 1.5f, 5, 4);
  }
  // Each line over its band.
  for (const ChartLine& line : lines) {
    draw_band(draw, c, frame, line);
    draw_line(draw, c, frame, line, fonts.body->FontSize);
  }
  if (frame.cursor >= 0) {
    const float px = x_of_step(c, frame, static_cast<std::size_t>(frame.cursor));
    draw->AddLine({px, c.top}, {px, c.bottom}, colour::kCursor, 1.5f);
  }
  draw->PopClipRect();
}

}  // namespace tipsim::viz

// A small plotting module on ImGui's draw list: time-series charts with
// axes, ticks, labels, lines, shaded bands and markers, and stacked bars.
// No plotting library is packaged for Debian's Dear ImGui 1.86.
#pragma once

#include <imgui.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chart_scale.hpp"
#include "layout.hpp"
#include "style.hpp"

namespace tipsim::viz {

// One line of a chart, with an optional band around it (10-90 % across
// replicates).
struct ChartLine {
  std::string label;
  ImU32 colour = colour::kText;
  std::span<const double> values;  // one per step from step 0; may be shorter than the run
  std::span<const double> band_low;
  std::span<const double> band_high;
  float thickness = 2;
  bool dashed = false;
  bool in_legend = true;  // false: a faint line of another run, named once under the charts
};

struct ChartFrame {
  std::string title;
  std::int32_t steps = 1;  // the run's length: the x axis spans all of it
  double step_days = 7;
  std::int32_t cursor = -1;               // a step to mark (replay), or -1
  std::span<const std::int64_t> markers;  // steps where an intervention starts
  std::optional<ValueRange> y_range;      // a fixed range (two runs compared on one scale)
};

// The range of values a chart's lines and bands cover.
ValueRange lines_range(std::span<const ChartLine> lines);

// Draws a time-series chart filling `area`: the title and a legend with
// each line's value at the cursor (or its last value), y ticks on the left,
// years along the bottom.
void draw_chart(ImDrawList* draw, const Rect& area, const ChartFrame& frame, std::span<const ChartLine> lines,
                const Fonts& fonts);

// A horizontal bar of segments stacked left to right, the whole bar's
// length for `scale` units.
void draw_stacked_bar(ImDrawList* draw, const Rect& bar, std::span<const double> segments,
                      std::span<const ImU32> colours, double scale);

// A legend entry: a coloured square and its text at `at`; returns the x
// after it.
float draw_legend_item(ImDrawList* draw, ImVec2 at, ImU32 colour, const char* text, ImFont* font);

// A dashed line from a to b.
void draw_dashed_line(ImDrawList* draw, ImVec2 a, ImVec2 b, ImU32 colour, float thickness, float dash,
                      float gap);

// Text centred on `centre` over a rounded white label, for numbers on the map.
void draw_label(ImDrawList* draw, ImVec2 centre, const char* text, ImFont* font, ImU32 text_colour);

inline ImVec2 to_im(Point p) { return {p.x, p.y}; }

}  // namespace tipsim::viz

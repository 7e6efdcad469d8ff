// The panels both modes share, drawn with ImGui: the map of regions and
// routes, the population bars, the stacked charts, the event ticker and the
// scenario in plain words. Each takes plain data, so live and replay feed
// them the same way.
#pragma once

#include <imgui.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chart_scale.hpp"
#include "indicators.hpp"
#include "layout.hpp"
#include "params.hpp"
#include "scenario_text.hpp"
#include "style.hpp"
#include "ticker.hpp"

namespace tipsim::viz {

// Opens a fixed panel window at `area` with a title bar; returns the
// content rectangle. Always pair with end_panel().
Rect begin_panel(const char* title, const Rect& area, ImGuiWindowFlags extra_flags = 0);
void end_panel();

struct MapData {
  const Scenario* scenario = nullptr;        // names, routes, map.x and map.y
  std::vector<RegionPopulation> population;  // per region, at the step shown
  RouteFlows flows;                          // people along routes at the step shown
  double flow_scale = 1;                     // the volume drawn at full width
  std::string caption;                       // what the arrows are
};
// Draws the map in `area`. Returns the region clicked (-1: the background,
// meaning all regions) or -2 when nothing was clicked.
int draw_map(const Rect& area, const MapData& map, int selected_region, const Fonts& fonts);

// One stacked bar per region: in transit, exploited by form, in a shelter,
// the bar's full length for `scale` people.
void draw_population(const Rect& area, const Scenario& scenario,
                     const std::vector<RegionPopulation>& population, double scale, int selected_region,
                     const Fonts& fonts);

// Everything the four charts draw: one series per indicator for the
// steps so far, with bands in replay.
struct ChartsData {
  std::int32_t steps = 1;
  double step_days = 7;
  std::int32_t cursor = -1;
  std::vector<std::int64_t> markers;
  std::array<std::vector<double>, kIndicatorCount> values;
  std::array<std::vector<double>, kIndicatorCount> low;  // empty without bands
  std::array<std::vector<double>, kIndicatorCount> high;
  // Another run drawn faintly under these lines (a branch's original, an
  // untaken option); empty: none. `other_label` says what it is.
  std::array<std::vector<double>, kIndicatorCount> other;
  std::string other_label;
  // Fixed y ranges for the four charts (compare mode: one scale for both
  // runs); unset, each chart covers its own lines.
  std::array<std::optional<ValueRange>, 4> y_ranges;
};

// The range each of the four charts covers, for a scale shared by two runs.
std::array<ValueRange, 4> chart_ranges(const ChartsData& data);
// The four charts stacked in `area`: victims true and observed, cases,
// traffickers, shelters.
void draw_charts(const Rect& area, const ChartsData& data, const Fonts& fonts);

// A combo to choose the region the charts show; returns true when changed.
bool region_selector(const char* id, const Scenario& scenario, int& selected_region, float width);

// Events newest first, each with a coloured mark for its kind.
void draw_ticker(const std::vector<const TickerEvent*>& newest_first, const std::string& note,
                 const Fonts& fonts);

// The scenario in plain words; `status_lines` go under the title (seed, file).
void draw_scenario(const ScenarioSummary& summary, const std::vector<std::string>& status_lines,
                   const Fonts& fonts);

}  // namespace tipsim::viz

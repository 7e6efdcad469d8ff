#include "panels.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "chart_scale.hpp"
#include "plot.hpp"

namespace tipsim::viz {

namespace {

constexpr ImGuiWindowFlags kPanelFlags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                         ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings |
                                         ImGuiWindowFlags_NoBringToFrontOnFocus;

ImVec2 text_size(ImFont* font, const std::string& text) {
  return font->CalcTextSizeA(font->FontSize, 1e9f, 0, text.c_str());
}

// The segments of a region's bar and ring, in drawing order.
std::array<double, kForms + 2> segments_of(const RegionPopulation& p) {
  std::array<double, kForms + 2> s{};
  s[0] = p.recruited;
  for (std::size_t f = 0; f < kForms; ++f) s[1 + f] = p.exploited[f];
  s[kForms + 1] = p.in_protection;
  return s;
}

std::array<ImU32, kForms + 2> segment_colours() {
  std::array<ImU32, kForms + 2> c{};
  c[0] = colour::kInTransit;
  for (std::size_t f = 0; f < kForms; ++f) c[1 + f] = colour::form(f);
  c[kForms + 1] = colour::kInShelter;
  return c;
}

// A point on the quadratic Bezier a-control-b, and the unit normal there.
void bezier(ImVec2 a, ImVec2 control, ImVec2 b, float t, ImVec2& point, ImVec2& normal) {
  const float u = 1 - t;
  point = {u * u * a.x + 2 * u * t * control.x + t * t * b.x,
           u * u * a.y + 2 * u * t * control.y + t * t * b.y};
  const ImVec2 d{2 * u * (control.x - a.x) + 2 * t * (b.x - control.x),
                 2 * u * (control.y - a.y) + 2 * t * (b.y - control.y)};
  const float length = std::max(1e-6f, std::hypot(d.x, d.y));
  normal = {-d.y / length, d.x / length};
}

// ---- the map ----------------------------------------------------------------------------------

// Where the regions sit on the map and how large they are drawn.
struct MapLayout {
  std::vector<ImVec2> centre;
  std::vector<float> radius;  // of each disc, by population
  float base = 0;             // the disc size before the population's share
  float ring = 0;             // the width of the ring around each disc
};

// The water, the caption on top and the legend of forms at the bottom;
// returns the stage between them.
Rect draw_map_frame(ImDrawList* draw, const Rect& area, const std::string& caption, ImFont* small) {
  draw->AddRectFilled({area.x, area.y}, {area.right(), area.bottom()}, colour::kMapWater, 4);
  const float caption_h =
      small->CalcTextSizeA(small->FontSize, 1e9f, area.w - 16, caption.c_str()).y + small->FontSize * 0.6f;
  draw->AddText(small, small->FontSize, {area.x + 8, area.y + 6}, colour::kMutedText, caption.c_str(),
                nullptr, area.w - 16);
  // The legend wraps onto a second row in a narrow panel.
  float legend_width = text_size(small, "width: people, colour:").x + small->FontSize * 0.6f;
  for (std::size_t f = 0; f < kForms; ++f)
    legend_width += text_size(small, std::string(form_title(f))).x + small->FontSize * 1.6f;
  const int legend_rows = legend_width > area.w - 16 ? 2 : 1;
  const float legend_h = small->FontSize * (0.4f + 1.3f * static_cast<float>(legend_rows));
  float lx = area.x + 8;
  float ly = area.bottom() - legend_h + small->FontSize * 0.2f;
  const char* key = "width: people, colour:";
  draw->AddText(small, small->FontSize, {lx, ly}, colour::kMutedText, key);
  lx += text_size(small, key).x + small->FontSize * 0.6f;
  for (std::size_t f = 0; f < kForms; ++f) {
    const std::string title(form_title(f));
    if (lx > area.x + 8 && lx + text_size(small, title).x + small->FontSize * 1.2f > area.right() - 8) {
      lx = area.x + 8;
      ly += small->FontSize * 1.3f;
    }
    lx = draw_legend_item(draw, {lx, ly}, colour::form(f), title.c_str(), small);
  }
  return {area.x, area.y + caption_h, area.w, area.h - caption_h - legend_h};
}

// Circles sized by population; room for the ring and the names.
MapLayout layout_regions(const Rect& stage, const Scenario& sc, const Fonts& fonts) {
  const std::size_t regions = sc.regions.size();
  std::vector<double> xs, ys, shares;
  double share_max = 0;
  for (const RegionSpec& r : sc.regions) {
    xs.push_back(r.values[Param::map_x]);
    ys.push_back(r.values[Param::map_y]);
    shares.push_back(r.values[Param::population_share]);
    share_max = std::max(share_max, shares.back());
  }
  const auto unit = region_positions(xs, ys);
  float name_width = 0;
  for (const RegionSpec& r : sc.regions) name_width = std::max(name_width, text_size(fonts.bold, r.name).x);
  MapLayout layout;
  // The disc size follows the panel, but never so large that neighbouring
  // regions touch: a second pass shrinks it to the closest pair's distance.
  float& base = layout.base;
  base = std::clamp(std::min(stage.w, stage.h) * 0.12f, 16.0f, 80.0f);
  std::vector<ImVec2>& centre = layout.centre;
  centre.resize(regions);
  for (int pass = 0; pass < 2; ++pass) {
    const float margin_x = std::max(base * 1.3f, name_width / 2) + 10;
    const float labels = fonts.bold->FontSize + fonts.small->FontSize + 6;
    const float margin_top = base * 1.3f + (regions > 2 ? labels : 6);
    const float margin_bottom = base * 1.3f + labels;
    const Rect inner{stage.x + margin_x, stage.y + margin_top, std::max(1.0f, stage.w - 2 * margin_x),
                     std::max(1.0f, stage.h - margin_top - margin_bottom)};
    const auto placed = fit_to_area(unit, inner);
    for (std::size_t r = 0; r < regions; ++r) centre[r] = to_im(placed[r]);
    float closest = 1e9f;
    for (std::size_t a = 0; a < regions; ++a)
      for (std::size_t b = 0; b < a; ++b)
        closest = std::min(closest, std::hypot(centre[a].x - centre[b].x, centre[a].y - centre[b].y));
    base = std::max(10.0f, std::min(base, closest * 0.3f));
  }
  layout.radius.resize(regions);
  for (std::size_t r = 0; r < regions; ++r) {
    const double share = share_max > 0 ? shares[r] / share_max : 1;
    layout.radius[r] = base * static_cast<float>(0.6 + 0.4 * std::sqrt(share));
  }
  layout.ring = std::max(4.0f, base * 0.26f);
  return layout;
}

// The path of a route: the quadratic curve a-control-b, drawn from t0 to
// t1, clear of the discs at its ends.
struct RouteCurve {
  ImVec2 a, control, b;
  float distance = 1;  // from a to b
  float t0 = 0, t1 = 1;
};

// Bends to the left of travel so that routes in opposite directions part,
// or away from a region in the way, far enough to pass it.
RouteCurve route_curve(const RouteSpec& route, const MapLayout& layout, const Fonts& fonts) {
  const std::vector<ImVec2>& centre = layout.centre;
  const ImVec2 a = centre[route.from], b = centre[route.to];
  const float dx = b.x - a.x, dy = b.y - a.y;
  const float distance = std::max(1.0f, std::hypot(dx, dy));
  const ImVec2 along{dx / distance, dy / distance};
  ImVec2 left{along.y, -along.x};
  float apex = distance * 0.09f;  // how far the curve's middle leaves the straight line
  for (std::size_t k = 0; k < centre.size(); ++k) {
    if (k == route.from || k == route.to) continue;
    const ImVec2 to_k{centre[k].x - a.x, centre[k].y - a.y};
    const float t = (to_k.x * along.x + to_k.y * along.y) / distance;
    if (t <= 0.1f || t >= 0.9f) continue;
    const float offset = to_k.x * left.x + to_k.y * left.y;  // > 0: the region is on the left
    // Room for the region's name and count, whichever side it is on.
    const float clearance = layout.radius[k] + layout.ring + fonts.size * 2.8f;
    if (std::abs(offset) >= clearance) continue;
    if (offset > 0) left = {-left.x, -left.y};
    // The curve leaves the line by 4t(1-t) times its apex at t.
    apex = std::max(apex, (clearance - std::abs(offset)) / (4 * t * (1 - t)));
  }
  // A quadratic curve's middle is half-way to its control point.
  const ImVec2 control{(a.x + b.x) / 2 + left.x * 2 * apex, (a.y + b.y) / 2 + left.y * 2 * apex};
  const float start_gap = layout.radius[route.from] + layout.ring + 3,
              end_gap = layout.radius[route.to] + layout.ring + 6;
  return {a,
          control,
          b,
          distance,
          std::clamp(start_gap / distance, 0.0f, 0.45f),
          std::clamp(1 - end_gap / distance, 0.55f, 1.0f)};
}

// A route: one strand per form, side by side, width by the number of people
// on it, an arrow head and the number on the way; a faint dashed path when
// nobody travels it now.
void draw_route(ImDrawList* draw, const RouteSpec& route, const MapLayout& layout, const MapData& map,
                const Fonts& fonts) {
  const RouteCurve curve = route_curve(route, layout, fonts);
  const ImVec2 a = curve.a, control = curve.control, b = curve.b;
  const float t0 = curve.t0, t1 = curve.t1;
  const float full_width = layout.base * 0.55f;
  std::array<float, kForms> width{};
  float total_width = 0;
  double total = 0;
  for (std::size_t f = 0; f < kForms; ++f) {
    const double v = map.flows.at(route.from, route.to, f);
    total += v;
    if (v > 0) width[f] = std::max(1.5f, full_width * static_cast<float>(v / std::max(map.flow_scale, 1e-9)));
    total_width += width[f];
  }
  constexpr int kSamples = 28;
  if (total <= 0) {
    ImVec2 previous, normal;
    bezier(a, control, b, t0, previous, normal);
    for (int i = 1; i <= kSamples; ++i) {
      ImVec2 p;
      bezier(a, control, b, t0 + (t1 - t0) * static_cast<float>(i) / kSamples, p, normal);
      if (i % 2 == 0) draw->AddLine(previous, p, colour::with_alpha(colour::kMarker, 150), 1.5f);
      previous = p;
    }
    return;
  }
  float offset = -total_width / 2;
  for (std::size_t f = 0; f < kForms; ++f) {
    if (width[f] <= 0) continue;
    const float centre_offset = offset + width[f] / 2;
    std::array<ImVec2, kSamples + 1> strand;
    for (int i = 0; i <= kSamples; ++i) {
      ImVec2 p, n;
      bezier(a, control, b, t0 + (t1 - t0) * static_cast<float>(i) / kSamples, p, n);
      strand[static_cast<std::size_t>(i)] = {p.x + n.x * centre_offset, p.y + n.y * centre_offset};
    }
    draw->AddPolyline(strand.data(), kSamples + 1, colour::with_alpha(colour::form(f), 230), ImDrawFlags_None,
                      width[f]);
    offset += width[f];
  }
  // Arrow head at the destination.
  ImVec2 tip, n;
  bezier(a, control, b, t1, tip, n);
  ImVec2 before, n2;
  bezier(a, control, b, t1 - 0.04f, before, n2);
  const float hx = tip.x - before.x, hy = tip.y - before.y, hl = std::max(1e-6f, std::hypot(hx, hy));
  const ImVec2 dir{hx / hl, hy / hl};
  const float head = std::max(8.0f, total_width * 0.5f + 6);
  const ImVec2 point{tip.x + dir.x * head, tip.y + dir.y * head};
  draw->AddTriangleFilled(point, {tip.x + n.x * head * 0.8f, tip.y + n.y * head * 0.8f},
                          {tip.x - n.x * head * 0.8f, tip.y - n.y * head * 0.8f},
                          colour::with_alpha(colour::kRegionEdge, 210));
  // The number on the way, beside the strands, where the route is long
  // enough to hold it clear of the regions' names.
  if ((t1 - t0) * curve.distance < fonts.size * 3) return;
  ImVec2 middle, mn;
  bezier(a, control, b, 0.5f, middle, mn);
  const float side = total_width / 2 + fonts.small->FontSize * 0.9f;
  draw_label(draw, {middle.x + mn.x * side, middle.y + mn.y * side}, count_text(total).c_str(), fonts.bold,
             colour::kText);
}

// A region: a disc, a ring of the people trafficked there by state and
// form, the name and the count. Names go on the outer side of the map
// (above the regions in its upper part, below the others, of `centroid_y`).
void draw_region(ImDrawList* draw, std::size_t r, const MapLayout& layout, const MapData& map, bool selected,
                 float centroid_y, const Fonts& fonts) {
  const auto colours = segment_colours();
  const std::size_t regions = layout.centre.size();
  const ImVec2 c = layout.centre[r];
  const float radius = layout.radius[r], ring = layout.ring;
  draw->AddCircleFilled(c, radius, colour::kRegion, 48);
  draw->AddCircle(c, radius, selected ? colour::kSelected : colour::kRegionEdge, 48, selected ? 3.0f : 1.5f);
  const RegionPopulation p = r < map.population.size() ? map.population[r] : RegionPopulation{};
  const auto segments = segments_of(p);
  const double total = p.trafficked();
  const float ring_radius = radius + ring / 2 + 1;
  if (total <= 0) {
    draw->AddCircle(c, ring_radius, colour::with_alpha(colour::kInTransit, 90), 48, ring * 0.4f);
  } else {
    float angle = -std::numbers::pi_v<float> / 2;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (segments[i] <= 0) continue;
      const float sweep = 2 * std::numbers::pi_v<float> * static_cast<float>(segments[i] / total);
      draw->PathArcTo(c, ring_radius, angle, angle + sweep, std::max(4, static_cast<int>(sweep * 12)));
      draw->PathStroke(colours[i], ImDrawFlags_None, ring);
      angle += sweep;
    }
  }
  // Outside, so that they do not run into neighbours.
  const std::string name = map.scenario->regions[r].name;
  const std::string count = count_text(total) + " trafficked";
  const ImVec2 name_size = text_size(fonts.bold, name);
  const ImVec2 count_size = text_size(fonts.small, count);
  const bool above = regions > 2 && c.y < centroid_y - radius * 0.5f;
  // On a small map the count would crowd the names: the bars say it too.
  const bool roomy = layout.base > fonts.size * 1.6f;
  const float label_h = name_size.y + (roomy ? count_size.y : 0);
  const float label_top = above ? c.y - radius - ring - 4 - label_h : c.y + radius + ring + 4;
  // A light backing keeps the name readable where a route passes under it.
  const float backing_w = std::max(name_size.x, roomy ? count_size.x : 0.0f) + fonts.size * 0.4f;
  draw->AddRectFilled({c.x - backing_w / 2, label_top}, {c.x + backing_w / 2, label_top + label_h},
                      colour::with_alpha(colour::kMapWater, 200), fonts.size * 0.2f);
  draw->AddText(fonts.bold, fonts.bold->FontSize, {c.x - name_size.x / 2, label_top}, colour::kText,
                name.c_str());
  if (roomy)
    draw->AddText(fonts.small, fonts.small->FontSize, {c.x - count_size.x / 2, label_top + name_size.y},
                  colour::kMutedText, count.c_str());
  // Inside the disc: people in exploitation there.
  const std::string exploited = count_text(p.exploited[0] + p.exploited[1] + p.exploited[2] + p.exploited[3]);
  const ImVec2 e = text_size(fonts.bold, exploited);
  if (roomy && e.x < radius * 1.8f)
    draw->AddText(fonts.bold, fonts.bold->FontSize, {c.x - e.x / 2, c.y - e.y / 2}, colour::kText,
                  exploited.c_str());
}

// A click on a region selects it; on the water, all regions (-1); -2 when
// nothing was clicked.
int map_click(const Rect& area, const MapLayout& layout) {
  int clicked = -2;
  if (ImGui::IsWindowHovered() && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
    const ImVec2 m = ImGui::GetMousePos();
    if (area.contains({m.x, m.y})) {
      clicked = -1;
      for (std::size_t r = 0; r < layout.centre.size(); ++r)
        if (std::hypot(m.x - layout.centre[r].x, m.y - layout.centre[r].y) <= layout.radius[r] + layout.ring)
          clicked = static_cast<int>(r);
    }
  }
  return clicked;
}

}  // namespace

Rect begin_panel(const char* title, const Rect& area, ImGuiWindowFlags extra_flags) {
  ImGui::SetNextWindowPos({area.x, area.y});
  ImGui::SetNextWindowSize({area.w, area.h});
  ImGui::Begin(title, nullptr, kPanelFlags | extra_flags);
  const ImVec2 at = ImGui::GetCursorScreenPos();
  const ImVec2 size = ImGui::GetContentRegionAvail();
  return {at.x, at.y, size.x, size.y};
}

void end_panel() { ImGui::End(); }

int draw_map(const Rect& area, const MapData& map, int selected_region, const Fonts& fonts) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const Scenario& sc = *map.scenario;
  const std::size_t regions = sc.regions.size();
  const Rect stage = draw_map_frame(draw, area, map.caption, fonts.small);
  const MapLayout layout = layout_regions(stage, sc, fonts);
  // Routes first, under the regions.
  for (const RouteSpec& route : sc.routes) {
    if (route.from == route.to || route.from >= regions || route.to >= regions) continue;
    draw_route(draw, route, layout, map, fonts);
  }
  float centroid_y = 0;
  for (const ImVec2& c : layout.centre)
    centroid_y += c.y / static_cast<float>(std::max<std::size_t>(1, regions));
  for (std::size_t r = 0; r < regions; ++r)
    draw_region(draw, r, layout, map, static_cast<int>(r) == selected_region, centroid_y, fonts);
  return map_click(area, layout);
}

void draw_population(const Rect& area, const Scenario& scenario,
                     const std::vector<RegionPopulation>& population, double scale, int selected_region,
                     const Fonts& fonts) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  ImFont* small = fonts.small;
  const auto colours = segment_colours();
  const char* names[] = {"in transit",         "sexual exploitation", "forced labour",
                         "domestic servitude", "forced criminality",  "in a shelter"};
  // Legend, wrapping as needed.
  float x = area.x, y = area.y;
  for (std::size_t i = 0; i < colours.size(); ++i) {
    const float w = text_size(small, names[i]).x + small->FontSize * 2;
    if (x > area.x && x + w > area.right()) {
      x = area.x;
      y += small->FontSize * 1.3f;
    }
    x = draw_legend_item(draw, {x, y}, colours[i], names[i], small);
  }
  y += small->FontSize * 1.7f;

  float name_width = 0;
  for (const RegionSpec& r : scenario.regions)
    name_width = std::max(name_width, text_size(fonts.bold, r.name).x);
  // In a narrow panel only the number trafficked follows the bar.
  const bool narrow = area.w < fonts.size * 30;
  const float value_width = text_size(small, narrow ? "000 000" : "000 000 of 0 000 000").x;
  const std::size_t regions = scenario.regions.size();
  const float row_h = std::min(fonts.size * 3.0f,
                               (area.bottom() - y) / static_cast<float>(std::max<std::size_t>(1, regions)));
  const float bar_h = std::min(row_h * 0.62f, fonts.size * 1.5f);
  for (std::size_t r = 0; r < regions && r < population.size(); ++r) {
    const float row_y = y + row_h * static_cast<float>(r);
    const bool selected = static_cast<int>(r) == selected_region;
    draw->AddText(fonts.bold, fonts.bold->FontSize, {area.x, row_y + (row_h - fonts.size) / 2},
                  selected ? colour::kSelected : colour::kText, scenario.regions[r].name.c_str());
    const Rect bar{area.x + name_width + fonts.size * 0.6f, row_y + (row_h - bar_h) / 2,
                   std::max(10.0f, area.w - name_width - value_width - fonts.size * 1.2f), bar_h};
    const auto segments = segments_of(population[r]);
    draw_stacked_bar(draw, bar, segments, colours, scale);
    const std::string value =
        count_text(population[r].trafficked()) +
        (narrow ? std::string() : " of " + count_text(population[r].trafficked() + population[r].free));
    draw->AddText(small, small->FontSize,
                  {bar.right() + fonts.size * 0.5f, row_y + (row_h - small->FontSize) / 2},
                  colour::kMutedText, value.c_str());
  }
}

namespace {

// The four charts: a title and two lines each, with the style of each line.
struct ChartLineSpec {
  Indicator indicator;
  ImU32 colour;
  float weight;  // times the base thickness
  bool dashed;
};
struct ChartSpec {
  const char* title;
  std::array<ChartLineSpec, 2> lines;
};
const std::array<ChartSpec, 4>& chart_specs() {
  static const std::array<ChartSpec, 4> specs = {{
      {"Victims: what exists and what agencies see",
       {{{Indicator::Exploited, colour::kTrue, 1.3f, false},
         {Indicator::IdentifiedPerYear, colour::kIdentified, 1.0f, false}}}},
      {"Cases against traffickers",
       {{{Indicator::ProsecutionsPerYear, colour::kProsecuted, 1.0f, false},
         {Indicator::ConvictionsPerYear, colour::kConvicted, 1.0f, false}}}},
      {"Traffickers",
       {{{Indicator::TraffickersActive, colour::kTraffickers, 1.0f, false},
         {Indicator::TraffickersInPrison, colour::kImprisoned, 1.0f, false}}}},
      {"Shelters",
       {{{Indicator::ShelterOccupied, colour::kSheltered, 1.0f, false},
         {Indicator::ShelterPlaces, colour::kPlaces, 0.8f, true}}}},
  }};
  return specs;
}

// A chart's lines; another run's come first, faint, so they lie underneath.
std::vector<ChartLine> chart_lines(const ChartsData& data, const ChartSpec& chart, float thickness) {
  std::vector<ChartLine> out;
  for (std::size_t i = 0; i < 2; ++i) {
    const ChartLineSpec& l = chart.lines[i];
    const auto k = static_cast<std::size_t>(l.indicator);
    if (data.other[k].empty()) continue;
    ChartLine line;
    line.label = data.other_label;
    line.colour = colour::with_alpha(l.colour, 110);
    line.values = data.other[k];
    line.thickness = thickness * l.weight * 0.8f;
    line.dashed = true;
    line.in_legend = false;
    out.push_back(line);
  }
  for (std::size_t i = 0; i < 2; ++i) {
    const ChartLineSpec& l = chart.lines[i];
    const auto k = static_cast<std::size_t>(l.indicator);
    ChartLine line;
    line.label = std::string(indicator_spec(l.indicator).label);
    line.colour = l.colour;
    line.values = data.values[k];
    line.band_low = data.low[k];
    line.band_high = data.high[k];
    line.thickness = thickness * l.weight;
    line.dashed = l.dashed;
    out.push_back(line);
  }
  return out;
}

}  // namespace

std::array<ValueRange, 4> chart_ranges(const ChartsData& data) {
  std::array<ValueRange, 4> out;
  for (std::size_t c = 0; c < 4; ++c) out[c] = lines_range(chart_lines(data, chart_specs()[c], 1));
  return out;
}

void draw_charts(const Rect& area, const ChartsData& data, const Fonts& fonts) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const auto rows = split_rows(area, 4, fonts.size * 0.6f);
  const float thickness = std::max(2.0f, fonts.size / 7);
  for (std::size_t c = 0; c < 4; ++c) {
    ChartFrame frame;
    frame.title = chart_specs()[c].title;
    frame.steps = data.steps;
    frame.step_days = data.step_days;
    frame.cursor = data.cursor;
    frame.markers = data.markers;
    frame.y_range = data.y_ranges[c];
    const auto lines = chart_lines(data, chart_specs()[c], thickness);
    draw_chart(draw, rows[c], frame, lines, fonts);
  }
}

bool region_selector(const char* id, const Scenario& scenario, int& selected_region, float width) {
  const std::string current = selected_region < 0
                                  ? std::string("All regions")
                                  : scenario.regions[static_cast<std::size_t>(selected_region)].name;
  bool changed = false;
  ImGui::SetNextItemWidth(width);
  if (ImGui::BeginCombo(id, current.c_str())) {
    if (ImGui::Selectable("All regions", selected_region < 0)) {
      selected_region = -1;
      changed = true;
    }
    for (std::size_t r = 0; r < scenario.regions.size(); ++r) {
      if (ImGui::Selectable(scenario.regions[r].name.c_str(), selected_region == static_cast<int>(r))) {
        selected_region = static_cast<int>(r);
        changed = true;
      }
    }
    ImGui::EndCombo();
  }
  return changed;
}

void draw_ticker(const std::vector<const TickerEvent*>& newest_first, const std::string& note,
                 const Fonts& fonts) {
  if (!note.empty()) {
    ImGui::PushFont(fonts.small);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour::kMutedText), "%s", note.c_str());
    ImGui::PopFont();
  }
  if (newest_first.empty()) {
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour::kMutedText), "Nothing notable yet.");
    return;
  }
  ImGui::BeginChild("ticker lines");
  ImDrawList* draw = ImGui::GetWindowDrawList();
  for (std::size_t i = 0; i < newest_first.size() && i < 300; ++i) {
    const TickerEvent& e = *newest_first[i];
    ImU32 mark = colour::kMarker;
    switch (e.kind) {
      case TickerKind::Convictions:
        mark = colour::kConvicted;
        break;
      case TickerKind::Identifications:
        mark = colour::kIdentified;
        break;
      case TickerKind::NetworkReplacements:
        mark = colour::kTraffickers;
        break;
      case TickerKind::SheltersFull:
        mark = colour::kError;
        break;
      case TickerKind::SheltersRoom:
        mark = colour::kSheltered;
        break;
      case TickerKind::InterventionStarts:
      case TickerKind::InterventionEnds:
        mark = colour::kSelected;
        break;
    }
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float r = fonts.size * 0.22f;
    draw->AddCircleFilled({at.x + r + 1, at.y + fonts.size * 0.55f}, r, mark);
    ImGui::SetCursorScreenPos({at.x + r * 2 + fonts.size * 0.5f, at.y});
    // The newest line stands out; older ones recede.
    if (i == 0) ImGui::PushFont(fonts.bold);
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(e.text.c_str());
    ImGui::PopTextWrapPos();
    if (i == 0) ImGui::PopFont();
  }
  ImGui::EndChild();
}

void draw_scenario(const ScenarioSummary& s, const std::vector<std::string>& status_lines,
                   const Fonts& fonts) {
  const ImVec4 muted = ImGui::ColorConvertU32ToFloat4(colour::kMutedText);
  ImGui::PushTextWrapPos(0);
  ImGui::PushFont(fonts.title);
  ImGui::TextUnformatted(s.title.c_str());
  ImGui::PopFont();
  if (!s.question.empty()) ImGui::TextUnformatted(s.question.c_str());
  ImGui::PushFont(fonts.small);
  for (const std::string& line : status_lines) ImGui::TextColored(muted, "%s", line.c_str());
  ImGui::PopFont();
  ImGui::Spacing();
  ImGui::TextUnformatted(s.size.c_str());
  auto section = [&](const char* title, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    ImGui::Spacing();
    ImGui::PushFont(fonts.bold);
    ImGui::TextUnformatted(title);
    ImGui::PopFont();
    for (const std::string& line : lines) {
      ImGui::Bullet();
      ImGui::TextUnformatted(line.c_str());
    }
  };
  section("Regions", s.regions);
  section("Routes", s.routes);
  section("Policies at the start", s.levers);
  section("Planned changes", s.interventions);
  ImGui::PopTextWrapPos();
}

}  // namespace tipsim::viz

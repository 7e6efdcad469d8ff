// The viewer's look: a light theme that survives a projector in a lit
// room, large type, and one palette shared by every panel so that a colour
// means the same thing on the map, the bars and the charts.
#pragma once

#include <imgui.h>

#include <cstddef>

namespace tipsim::viz {

// Fonts loaded at start-up: body text, bold for titles, a larger bold for
// the scenario's name, a smaller one for axis ticks.
struct Fonts {
  ImFont* body = nullptr;
  ImFont* bold = nullptr;
  ImFont* title = nullptr;
  ImFont* small = nullptr;
  float size = 18;  // body size in pixels
};

// Loads DejaVu Sans at `pixel_size` (ImGui's own font when it is missing)
// and applies the theme. Call once after ImGui::CreateContext().
Fonts setup_style(float pixel_size);

// The body size for a window height: larger windows (projectors) get
// larger type.
float font_size_for(float window_height);

namespace colour {
// Forms of exploitation (Okabe-Ito colours, distinguishable with colour
// blindness), then the states around them.
ImU32 form(std::size_t form);
inline constexpr ImU32 kInTransit = IM_COL32(150, 158, 170, 255);
inline constexpr ImU32 kInShelter = IM_COL32(0, 158, 115, 255);

// Chart lines: the true layer in red, what agencies observe in blues and
// greens.
inline constexpr ImU32 kTrue = IM_COL32(178, 24, 43, 255);
inline constexpr ImU32 kIdentified = IM_COL32(33, 102, 172, 255);
inline constexpr ImU32 kProsecuted = IM_COL32(118, 42, 131, 255);
inline constexpr ImU32 kConvicted = IM_COL32(27, 120, 55, 255);
inline constexpr ImU32 kTraffickers = IM_COL32(140, 81, 10, 255);
inline constexpr ImU32 kImprisoned = IM_COL32(110, 110, 110, 255);
inline constexpr ImU32 kSheltered = IM_COL32(0, 140, 110, 255);
inline constexpr ImU32 kPlaces = IM_COL32(120, 120, 120, 255);

inline constexpr ImU32 kText = IM_COL32(31, 41, 51, 255);
inline constexpr ImU32 kMutedText = IM_COL32(82, 96, 109, 255);
inline constexpr ImU32 kGrid = IM_COL32(226, 230, 235, 255);
inline constexpr ImU32 kAxis = IM_COL32(150, 158, 170, 255);
inline constexpr ImU32 kPanel = IM_COL32(255, 255, 255, 255);
inline constexpr ImU32 kBackground = IM_COL32(233, 237, 242, 255);
inline constexpr ImU32 kMapWater = IM_COL32(241, 245, 249, 255);
inline constexpr ImU32 kRegion = IM_COL32(222, 228, 236, 255);
inline constexpr ImU32 kRegionEdge = IM_COL32(82, 96, 109, 255);
inline constexpr ImU32 kSelected = IM_COL32(33, 102, 172, 255);
inline constexpr ImU32 kMarker = IM_COL32(120, 130, 145, 255);
inline constexpr ImU32 kCursor = IM_COL32(31, 41, 51, 255);
inline constexpr ImU32 kError = IM_COL32(190, 30, 45, 255);
inline constexpr ImU32 kOk = IM_COL32(27, 120, 55, 255);

// The colour with its alpha replaced (0-255).
ImU32 with_alpha(ImU32 colour, int alpha);
}  // namespace colour

}  // namespace tipsim::viz

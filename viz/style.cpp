#include "style.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "state.hpp"

namespace tipsim::viz {

namespace {

// Latin text plus the few symbols the viewer writes: dashes, the middle
// dot, arrows and the minus sign.
const ImWchar kGlyphs[] = {0x0020, 0x00FF, 0x2010, 0x2027, 0x2190, 0x2193, 0x2212, 0x2212, 0x25A0, 0x25CF, 0};

const char* find_font(const char* const* candidates) {
  for (const char* const* c = candidates; *c != nullptr; ++c)
    if (std::filesystem::exists(*c)) return *c;
  return nullptr;
}

ImFont* load(const char* path, float size) {
  ImGuiIO& io = ImGui::GetIO();
  if (path != nullptr) {
    ImFontConfig config;
    config.OversampleH = 2;
    config.OversampleV = 2;
    if (ImFont* f = io.Fonts->AddFontFromFileTTF(path, size, &config, kGlyphs)) return f;
  }
  // ImGui's built-in font, scaled: legible, if plainer.
  ImFontConfig config;
  config.SizePixels = size;
  return io.Fonts->AddFontDefault(&config);
}

}  // namespace

float font_size_for(float window_height) {
  return std::clamp(std::round(window_height / 52.0f), 14.0f, 32.0f);
}

Fonts setup_style(float pixel_size) {
  static const char* const regular[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", nullptr};
  static const char* const bold[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", nullptr};
  Fonts fonts;
  fonts.size = pixel_size;
  const char* regular_path = find_font(regular);
  const char* bold_path = find_font(bold);
  fonts.body = load(regular_path, pixel_size);
  fonts.bold = load(bold_path ? bold_path : regular_path, pixel_size);
  fonts.title = load(bold_path ? bold_path : regular_path, std::round(pixel_size * 1.3f));
  fonts.small = load(regular_path, std::round(pixel_size * 0.82f));
  ImGui::GetIO().FontDefault = fonts.body;

  ImGui::StyleColorsLight();
  ImGuiStyle& style = ImGui::GetStyle();
  const float unit = pixel_size / 18.0f;
  style.WindowPadding = ImVec2(10 * unit, 8 * unit);
  style.FramePadding = ImVec2(8 * unit, 4 * unit);
  style.ItemSpacing = ImVec2(8 * unit, 6 * unit);
  style.ItemInnerSpacing = ImVec2(6 * unit, 4 * unit);
  style.WindowRounding = 4;
  style.FrameRounding = 3;
  style.GrabRounding = 3;
  style.GrabMinSize = 12 * unit;
  style.ScrollbarSize = 14 * unit;
  style.WindowBorderSize = 1;
  style.WindowTitleAlign = ImVec2(0.0f, 0.5f);
  ImVec4* c = style.Colors;
  c[ImGuiCol_WindowBg] = ImGui::ColorConvertU32ToFloat4(colour::kPanel);
  c[ImGuiCol_ChildBg] = ImVec4(0, 0, 0, 0);
  c[ImGuiCol_Text] = ImGui::ColorConvertU32ToFloat4(colour::kText);
  c[ImGuiCol_TitleBg] = ImVec4(0.87f, 0.90f, 0.93f, 1);
  c[ImGuiCol_TitleBgActive] = ImVec4(0.87f, 0.90f, 0.93f, 1);
  c[ImGuiCol_TitleBgCollapsed] = ImVec4(0.87f, 0.90f, 0.93f, 1);
  c[ImGuiCol_Border] = ImVec4(0.78f, 0.81f, 0.85f, 1);
  c[ImGuiCol_FrameBg] = ImVec4(0.92f, 0.94f, 0.96f, 1);
  c[ImGuiCol_SliderGrab] = ImGui::ColorConvertU32ToFloat4(colour::kSelected);
  c[ImGuiCol_SliderGrabActive] = ImVec4(0.08f, 0.30f, 0.55f, 1);
  c[ImGuiCol_Button] = ImVec4(0.86f, 0.90f, 0.95f, 1);
  c[ImGuiCol_ButtonHovered] = ImVec4(0.76f, 0.84f, 0.93f, 1);
  c[ImGuiCol_ButtonActive] = ImVec4(0.65f, 0.77f, 0.90f, 1);
  c[ImGuiCol_Header] = ImVec4(0.86f, 0.90f, 0.95f, 1);
  c[ImGuiCol_PlotHistogram] = ImVec4(0.62f, 0.77f, 0.92f, 1);
  c[ImGuiCol_CheckMark] = ImGui::ColorConvertU32ToFloat4(colour::kSelected);
  ImGui::GetIO().Fonts->Build();
  return fonts;
}

namespace colour {

ImU32 form(std::size_t f) {
  switch (static_cast<Form>(f)) {
    case Form::Sexual:
      return IM_COL32(204, 121, 167, 255);
    case Form::Labour:
      return IM_COL32(230, 159, 0, 255);
    case Form::DomesticServitude:
      return IM_COL32(86, 180, 233, 255);
    case Form::ForcedCriminality:
      return IM_COL32(213, 94, 0, 255);
  }
  return kInTransit;
}

ImU32 with_alpha(ImU32 c, int alpha) {
  return (c & ~IM_COL32_A_MASK) | (static_cast<ImU32>(std::clamp(alpha, 0, 255)) << IM_COL32_A_SHIFT);
}

}  // namespace colour

}  // namespace tipsim::viz

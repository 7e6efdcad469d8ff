#include "timeline.hpp"

#include <algorithm>
#include <cmath>

namespace tipsim::viz {

std::string step_unit(double step_days) {
  if (step_days == 7) return "week";
  if (step_days == 1) return "day";
  if (step_days >= 28 && step_days <= 31) return "month";
  if (step_days == 365 || step_days == 366) return "year";
  return "step";
}

std::string step_name(std::int32_t step_index, double step_days) {
  return step_unit(step_days) + " " + std::to_string(step_index + 1);
}

std::string progress_text(std::int32_t steps_done, std::int32_t steps_total, double step_days) {
  const std::string unit = step_unit(step_days);
  if (steps_done <= 0) return "start of " + unit + " 1 of " + std::to_string(steps_total);
  // The year the last step done falls in, counted from 1.
  const double days_before_end = (steps_done - 0.5) * step_days;
  const int year = static_cast<int>(std::floor(days_before_end / 365.0)) + 1;
  std::string text = unit + " " + std::to_string(steps_done) + " of " + std::to_string(steps_total);
  if (unit != "year") text += " \xC2\xB7 year " + std::to_string(year);
  return text;
}

float Timeline::x_of(std::int32_t step_index) const {
  if (steps_ <= 1) return x_to_;
  const std::int32_t s = std::clamp(step_index, 0, steps_ - 1);
  return x_from_ + (x_to_ - x_from_) * static_cast<float>(s) / static_cast<float>(steps_ - 1);
}

std::int32_t Timeline::step_at(float x) const {
  if (steps_ <= 1 || x_to_ == x_from_) return 0;
  const float t = (x - x_from_) / (x_to_ - x_from_);
  const auto s = static_cast<std::int32_t>(std::lround(t * static_cast<float>(steps_ - 1)));
  return std::clamp(s, 0, steps_ - 1);
}

std::int32_t advance_playhead(std::int32_t step, std::int32_t steps, double speed, double seconds,
                              double& carry) {
  carry += std::max(0.0, speed * seconds);
  const double whole = std::floor(carry);
  carry -= whole;
  const double next = static_cast<double>(step) + whole;
  return static_cast<std::int32_t>(std::min(next, static_cast<double>(std::max(steps - 1, 0))));
}

}  // namespace tipsim::viz

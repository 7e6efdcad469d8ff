#include "chart_scale.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace tipsim::viz {

ValueRange covering_range(std::span<const double> values, bool include_zero) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (lo > hi) return {0, 1};
  if (include_zero) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  if (hi - lo <= 0) {
    // A flat series still needs a visible axis: one unit, or 10 % of it.
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    return include_zero && lo >= 0 ? ValueRange{0, hi + pad} : ValueRange{lo - pad, hi + pad};
  }
  return {lo, hi};
}

ValueRange merge(ValueRange a, ValueRange b) { return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)}; }

AxisTicks nice_ticks(ValueRange range, int target) {
  target = std::max(target, 2);
  AxisTicks ticks;
  double span = range.span();
  if (!(span > 0) || !std::isfinite(span)) span = 1;
  // The smallest step of the form {1, 2, 5} x 10^k that gives at most
  // `target` intervals.
  const double rough = span / target;
  const double power = std::pow(10.0, std::floor(std::log10(rough)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * power;
    if (step >= rough * (1 - 1e-9)) break;
  }
  ticks.step = step;
  const double first = std::floor(range.lo / step + 1e-9) * step;
  const double last = std::ceil(range.hi / step - 1e-9) * step;
  const auto count = static_cast<long>(std::llround((last - first) / step));
  for (long i = 0; i <= count; ++i) {
    double v = first + static_cast<double>(i) * step;
    if (std::abs(v) < step * 1e-9) v = 0;  // no "-0" from rounding
    ticks.values.push_back(v);
  }
  ticks.range = {first, last > first ? last : first + step};
  return ticks;
}

double LinearScale::to_pixel(double value) const {
  const double t = data_.span() != 0 ? (value - data_.lo) / data_.span() : 0.0;
  return pixel_from_ + t * (pixel_to_ - pixel_from_);
}

double LinearScale::to_value(double pixel) const {
  const double extent = pixel_to_ - pixel_from_;
  const double t = extent != 0 ? (pixel - pixel_from_) / extent : 0.0;
  return data_.lo + t * data_.span();
}

std::string tick_label(double value, double step) {
  const double magnitude = std::max(std::abs(value), std::abs(step));
  double shown = value, shown_step = step;
  const char* suffix = "";
  if (magnitude >= 1e6 && std::abs(step) >= 1e5) {
    shown /= 1e6;
    shown_step /= 1e6;
    suffix = "M";
  } else if (magnitude >= 1e4 && std::abs(step) >= 1e2) {
    shown /= 1e3;
    shown_step /= 1e3;
    suffix = "k";
  }
  // Enough decimals to tell neighbouring ticks apart, no more.
  int decimals = 0;
  const double magnitude_step = std::abs(shown_step);
  while (decimals < 6 && magnitude_step > 0) {
    const double scaled = magnitude_step * std::pow(10.0, decimals);
    if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) break;
    ++decimals;
  }
  char text[48];
  std::snprintf(text, sizeof text, "%.*f%s", decimals, shown, suffix);
  std::string out = text;
  if (out == "-0") out = "0";
  return out;
}

std::string count_text(double value) {
  if (!std::isfinite(value)) return "-";
  const long long n = std::llround(value);
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  // Thin groups of three digits (a space, as in SI style), readable from afar.
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ' ';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::vector<Bucket> reduce_to_buckets(std::span<const double> values, std::size_t buckets) {
  std::vector<Bucket> out;
  if (values.empty() || buckets == 0) return out;
  const std::size_t per = (values.size() + buckets - 1) / buckets;
  for (std::size_t first = 0; first < values.size(); first += per) {
    const std::size_t last = std::min(values.size(), first + per) - 1;
    Bucket b{first, last, values[first], values[first]};
    for (std::size_t i = first + 1; i <= last; ++i) {
      b.min = std::min(b.min, values[i]);
      b.max = std::max(b.max, values[i]);
    }
    out.push_back(b);
  }
  return out;
}

}  // namespace tipsim::viz

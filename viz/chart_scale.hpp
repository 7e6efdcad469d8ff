// The arithmetic of charts, apart from drawing: value ranges, "nice" axis
// ticks, the mapping from data to pixels, number formats for labels and
// the reduction of long series to one bucket per pixel column.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace tipsim::viz {

// A closed interval of data values.
struct ValueRange {
  double lo = 0;
  double hi = 1;
  double span() const { return hi - lo; }
};

// The range that covers every finite value (NaN and infinities are
// ignored), with zero included when `include_zero` (counts of people start
// from nothing). An empty or flat range is widened so that it has a span.
ValueRange covering_range(std::span<const double> values, bool include_zero = true);
// The union of two ranges.
ValueRange merge(ValueRange a, ValueRange b);

// Tick marks for an axis: round values (1, 2 or 5 times a power of ten) at
// a fixed step, and the range widened outwards to the first and last tick.
struct AxisTicks {
  std::vector<double> values;
  double step = 1;
  ValueRange range;  // [first tick, last tick], covering the input range
};
// About `target` ticks (at least 2) covering [range.lo, range.hi].
AxisTicks nice_ticks(ValueRange range, int target);

// Maps a data interval linearly onto a pixel interval; the pixel interval
// may run backwards (screen y grows downwards while values grow upwards).
class LinearScale {
 public:
  LinearScale(ValueRange data, double pixel_from, double pixel_to)
      : data_(data), pixel_from_(pixel_from), pixel_to_(pixel_to) {}
  double to_pixel(double value) const;
  double to_value(double pixel) const;

 private:
  ValueRange data_;
  double pixel_from_;
  double pixel_to_;
};

// A tick label: as few decimals as the tick step needs, thousands as "k"
// and millions as "M" ("0.25", "40", "1.5k", "2M").
std::string tick_label(double value, double step);
// A count for people to read, with thin groups of thousands: "12 345".
std::string count_text(double value);

// One pixel column of a long series: the first and last step it covers and
// the smallest and largest value in them, so that peaks survive reduction.
struct Bucket {
  std::size_t first = 0;
  std::size_t last = 0;
  double min = 0;
  double max = 0;
};
// Splits `values` into at most `buckets` consecutive runs of equal length
// (the last may be shorter). With as many buckets as values, each bucket
// is one value.
std::vector<Bucket> reduce_to_buckets(std::span<const double> values, std::size_t buckets);

}  // namespace tipsim::viz

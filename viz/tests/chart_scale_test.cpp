#include "chart_scale.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace tipsim::viz {
namespace {

TEST(ChartScale, CoveringRangeIncludesZeroAndIgnoresNonFinite) {
  const std::vector<double> v = {3, 7, std::numeric_limits<double>::quiet_NaN(), 5};
  const ValueRange r = covering_range(v);
  EXPECT_EQ(r.lo, 0);
  EXPECT_EQ(r.hi, 7);
  const ValueRange tight = covering_range(v, false);
  EXPECT_EQ(tight.lo, 3);
  EXPECT_EQ(tight.hi, 7);
}

TEST(ChartScale, FlatAndEmptySeriesStillGetAnAxis) {
  EXPECT_GT(covering_range(std::vector<double>{}).span(), 0);
  EXPECT_GT(covering_range(std::vector<double>{0, 0, 0}).span(), 0);
  const ValueRange flat = covering_range(std::vector<double>{50, 50}, false);
  EXPECT_LT(flat.lo, 50);
  EXPECT_GT(flat.hi, 50);
}

TEST(ChartScale, NiceTicksAreRoundAndCoverTheRange) {
  const AxisTicks t = nice_ticks({0, 87}, 5);
  EXPECT_EQ(t.step, 20);
  ASSERT_EQ(t.values.size(), 6u);
  EXPECT_EQ(t.values.front(), 0);
  EXPECT_EQ(t.values.back(), 100);
  EXPECT_EQ(t.range.hi, 100);

  const AxisTicks small = nice_ticks({0, 0.73}, 4);
  EXPECT_NEAR(small.step, 0.2, 1e-12);
  EXPECT_NEAR(small.range.hi, 0.8, 1e-12);

  const AxisTicks offset = nice_ticks({1230, 1870}, 4);
  EXPECT_EQ(offset.step, 200);
  EXPECT_EQ(offset.values.front(), 1200);
  EXPECT_EQ(offset.values.back(), 2000);
  for (double v : offset.values) EXPECT_EQ(std::fmod(v, 200.0), 0.0);
}

TEST(ChartScale, NiceTicksNeverExceedTheTargetByMuch) {
  for (double hi : {1.0, 3.3, 9.99, 47.0, 120.0, 999.0, 12345.0, 7e6}) {
    for (int target : {2, 4, 6}) {
      const AxisTicks t = nice_ticks({0, hi}, target);
      EXPECT_GE(t.values.size(), 2u) << hi;
      EXPECT_LE(t.values.size(), static_cast<std::size_t>(target) + 2) << hi << " " << target;
      EXPECT_LE(t.range.lo, 0);
      EXPECT_GE(t.range.hi, hi);
    }
  }
}

TEST(ChartScale, LinearScaleMapsBothWaysAndUpsideDown) {
  // Screen y grows downwards: value 0 at the bottom (pixel 200), 100 at the top.
  const LinearScale y({0, 100}, 200, 100);
  EXPECT_FLOAT_EQ(y.to_pixel(0), 200);
  EXPECT_FLOAT_EQ(y.to_pixel(100), 100);
  EXPECT_FLOAT_EQ(y.to_pixel(25), 175);
  EXPECT_FLOAT_EQ(y.to_value(150), 50);
}

TEST(ChartScale, TickLabelsUseFewDigitsAndSuffixes) {
  EXPECT_EQ(tick_label(40, 20), "40");
  EXPECT_EQ(tick_label(0.25, 0.05), "0.25");
  EXPECT_EQ(tick_label(0.4, 0.2), "0.4");
  EXPECT_EQ(tick_label(15000, 5000), "15k");
  EXPECT_EQ(tick_label(12500, 2500), "12.5k");
  EXPECT_EQ(tick_label(2e6, 5e5), "2.0M");
  EXPECT_EQ(tick_label(0, 20), "0");
}

TEST(ChartScale, CountsAreGroupedInThousands) {
  EXPECT_EQ(count_text(12345), "12 345");
  EXPECT_EQ(count_text(999), "999");
  EXPECT_EQ(count_text(1000000), "1 000 000");
  EXPECT_EQ(count_text(-4200), "-4 200");
  EXPECT_EQ(count_text(66.6), "67");
}

TEST(ChartScale, BucketsKeepPeaks) {
  std::vector<double> v(1000, 1.0);
  v[537] = 50;
  v[538] = -3;
  const auto buckets = reduce_to_buckets(v, 100);
  ASSERT_EQ(buckets.size(), 100u);
  EXPECT_EQ(buckets[53].first, 530u);
  EXPECT_EQ(buckets[53].last, 539u);
  EXPECT_EQ(buckets[53].max, 50);
  EXPECT_EQ(buckets[53].min, -3);
  EXPECT_EQ(buckets[0].max, 1);
  // Fewer values than buckets: one bucket each.
  EXPECT_EQ(reduce_to_buckets(std::vector<double>{1, 2, 3}, 10).size(), 3u);
}

}  // namespace
}  // namespace tipsim::viz

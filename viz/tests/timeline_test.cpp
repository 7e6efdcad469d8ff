#include "timeline.hpp"

#include <gtest/gtest.h>

namespace tipsim::viz {
namespace {

TEST(Timeline, StepsAreNamedAsTrainersReadThem) {
  EXPECT_EQ(step_unit(7), "week");
  EXPECT_EQ(step_unit(1), "day");
  EXPECT_EQ(step_unit(30), "month");
  EXPECT_EQ(step_unit(3), "step");
  EXPECT_EQ(step_name(0, 7), "week 1");
  EXPECT_EQ(step_name(36, 7), "week 37");
}

TEST(Timeline, ProgressSaysWhereTheRunIs) {
  EXPECT_EQ(progress_text(0, 104, 7), "start of week 1 of 104");
  EXPECT_EQ(progress_text(37, 104, 7), "week 37 of 104 \xC2\xB7 year 1");
  EXPECT_EQ(progress_text(53, 104, 7), "week 53 of 104 \xC2\xB7 year 2");
  EXPECT_EQ(progress_text(52, 104, 7), "week 52 of 104 \xC2\xB7 year 1");
}

TEST(Timeline, YearsAtTheEndOfAStep) {
  EXPECT_NEAR(years_at_end(0, 7), 7.0 / 365, 1e-12);
  EXPECT_NEAR(years_at_end(51, 7), 364.0 / 365, 1e-12);
}

TEST(Timeline, MapsStepsToPixelsAndBack) {
  const Timeline t(104, 100, 1130);
  EXPECT_FLOAT_EQ(t.x_of(0), 100);
  EXPECT_FLOAT_EQ(t.x_of(103), 1130);
  EXPECT_FLOAT_EQ(t.x_of(500), 1130);  // clamped
  EXPECT_FLOAT_EQ(t.x_of(-3), 100);
  for (std::int32_t s = 0; s < 104; ++s) EXPECT_EQ(t.step_at(t.x_of(s)), s);
  EXPECT_EQ(t.step_at(0), 0);
  EXPECT_EQ(t.step_at(5000), 103);
  // Halfway between two markers goes to the nearer one.
  EXPECT_EQ(t.step_at(t.x_of(10) + 0.4f * (t.x_of(11) - t.x_of(10))), 10);
  EXPECT_EQ(t.step_at(t.x_of(10) + 0.6f * (t.x_of(11) - t.x_of(10))), 11);
}

TEST(Timeline, ASingleStepRunSitsAtTheEnd) {
  const Timeline t(1, 0, 100);
  EXPECT_EQ(t.step_at(30), 0);
  EXPECT_FLOAT_EQ(t.x_of(0), 100);
}

TEST(Timeline, PlayheadCarriesFractionsAndStopsAtTheEnd) {
  double carry = 0;
  std::int32_t step = 0;
  // 10 steps per second at 60 frames per second: 1 step every 6 frames.
  for (int frame = 0; frame < 60; ++frame) step = advance_playhead(step, 104, 10, 1.0 / 60, carry);
  EXPECT_NEAR(step, 10, 1);
  step = advance_playhead(step, 104, 1000, 1.0, carry);
  EXPECT_EQ(step, 103);
}

}  // namespace
}  // namespace tipsim::viz

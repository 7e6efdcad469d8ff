// Time in the viewer: steps as trainers read them ("week 37, year 1") and
// the mapping between steps and a horizontal strip of pixels, for the
// replay scrubber and the x axis of every chart.
#pragma once

#include <cstdint>
#include <string>

namespace tipsim::viz {

// The unit a step is named by: a week when steps are 7 days, a day, a
// month (28 to 31 days), a year (365 or 366), otherwise "step".
std::string step_unit(double step_days);

// "week 37" for the step with 0-based index 36 when steps are weekly: the
// name of the period the step covers, counted from 1.
std::string step_name(std::int32_t step_index, double step_days);

// "week 37 of 104 · year 1" for the progress line: the last step done, the
// run's length and the year it falls in (counted from 1). With no step
// done yet: "start of week 1 of 104".
std::string progress_text(std::int32_t steps_done, std::int32_t steps_total, double step_days);

// Years since the start at the end of the step with this index.
inline double years_at_end(std::int32_t step_index, double step_days) {
  return (step_index + 1) * step_days / 365.0;
}

// Steps [0, steps) laid out over pixels [x_from, x_to]: step i sits at the
// x of the end of its period, so that a chart's x axis in years and the
// scrubber agree.
class Timeline {
 public:
  Timeline(std::int32_t steps, float x_from, float x_to) : steps_(steps), x_from_(x_from), x_to_(x_to) {}
  std::int32_t steps() const { return steps_; }
  // The x of a step's marker; steps outside [0, steps) are clamped.
  float x_of(std::int32_t step_index) const;
  // The step whose marker is nearest to x (clamped to the run).
  std::int32_t step_at(float x) const;

 private:
  std::int32_t steps_;
  float x_from_;
  float x_to_;
};

// The step a replay shows next while playing: `speed` steps per second
// over `seconds`, carrying the fraction in `carry`, stopping at the last
// step. Returns the new step.
std::int32_t advance_playhead(std::int32_t step, std::int32_t steps, double speed, double seconds,
                              double& carry);

}  // namespace tipsim::viz

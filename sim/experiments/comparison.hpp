// Paired policy comparisons (tipsim compare): the effect of each arm
// against the baseline, replicate by replicate. Arms run on the same random
// streams per replicate (common random numbers), so the difference of a
// replicate pair is the effect of the policy alone, and the spread of the
// differences, not of the arms, sets the interval.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "metrics.hpp"

namespace tipsim {

// How an effect is formed from the two arms' summaries (metrics.hpp's
// summary_table()), all measured after the burn-in.
enum class EffectSign : std::uint8_t {
  BaselineMinusArm,  // a reduction: positive means the arm has less
  ArmMinusBaseline,  // a change: positive means the arm has more
  CostPerAverted,    // extra spending over victim-years averted
};

struct EffectSpec {
  std::string_view name;     // variable name in the run file's comparison/ group
  std::string_view label;    // for people: the printed table's row
  std::string_view summary;  // the summary_table() figure it is formed from
  EffectSign sign;
  std::string_view units;
  std::string_view long_name;
  Basis basis;  // every effect is in real units
};

// Every effect, in the order files and tables give them.
std::span<const EffectSpec> effect_table();

// A mean with its two-sided 95 % interval. NaN where undefined (see
// docs/output-format.md: one replicate, nothing averted).
struct EffectEstimate {
  double mean = 0;
  double ci_low = 0;
  double ci_high = 0;
};

// The mean of values and Student's t interval of the mean at `level`
// (n - 1 degrees of freedom): NaN bounds for fewer than two values; the
// interval is exactly [mean, mean] when all values are equal.
EffectEstimate t_interval(std::span<const double> values, double level = 0.95);

// The effects of one arm against the baseline.
struct ArmEffects {
  // [effect][replicate]: the paired value of each replicate pair. For the
  // cost per victim-year averted: extra spending / victim-years averted,
  // NaN when the pair averts none (averted <= 0).
  std::vector<std::vector<double>> paired;
  // [effect]: mean and 95 % t-interval of the paired values. For the cost:
  // the ratio of means (mean extra spending / mean victim-years averted)
  // with a delta-method interval; NaN when the mean averted is <= 0.
  std::vector<EffectEstimate> estimate;
};

// `baseline` and `arm` hold one summarize() vector per replicate, replicate
// r of one paired with replicate r of the other.
ArmEffects paired_effects(std::span<const std::vector<double>> baseline,
                          std::span<const std::vector<double>> arm);

}  // namespace tipsim

// Paired policy comparisons (tipsim compare): the effect of each arm
// against the baseline, replicate by replicate. Arms run on the same random
// streams per replicate (common random numbers), so the difference of a
// replicate pair is the effect of the policy alone, and the spread of the
// differences, not of the arms, sets the interval.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
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
  CostPerAverted,    // extra spending over the summary figure averted (victim-years, QALYs)
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

// The value of an estimate that is undefined (see docs/output-format.md:
// one replicate, nothing averted).
inline constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

// A mean with its two-sided 95 % interval; kUndefined where undefined.
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

// ---- cost-effectiveness -----------------------------------------------------------------------

// What the cost-effectiveness of arms and the allocation of a budget count
// as averted: victim-years of exploitation, or the harm-weighted outcome,
// quality-adjusted life years lost (docs/model.md 6).
enum class Averted : std::uint8_t { VictimYears, Harm };
struct AvertedSpec {
  std::string_view option;   // on the command line: victim-years, harm
  std::string_view name;     // the run file's attribute: victim_years, harm_qalys
  std::string_view summary;  // the summary_table() figure averted
  std::string_view unit;     // one unit, for people: victim-year, QALY
};
const AvertedSpec& outcome_spec(Averted outcome);
// The outcome named by its option or its run-file name; nullopt otherwise.
std::optional<Averted> outcome_named(std::string_view name);

// The default value of one victim-year of exploitation averted, in USD: the
// UK Home Office's unit cost of modern slavery, 328 720 GBP per victim
// (Reed, Roe, Grimshaw and Oliver 2018, year ending March 2017: the victim's
// physical and emotional harm, lost output, health and victim services and
// police), at 1.289 USD per GBP (2017 average), taken for one year of
// exploitation. docs/model.md 6 says why and what it leaves out.
inline constexpr double kDefaultValuePerVictimYear = 424000;

// Where an arm stands among the arms ordered by cost (the baseline is the
// arm of cost 0 and effect 0).
enum class Frontier : std::uint8_t {
  Efficient,           // on the cost-effectiveness frontier
  Dominated,           // another arm costs no more and averts at least as much, one of them strictly
  ExtendedlyDominated  // a mix of two frontier arms would avert more for the same cost
};
std::string_view frontier_label(Frontier f);

// The cost-effectiveness of every arm, the baseline included, from the
// paired replicates: cost = extra spending, effect = the outcome averted
// (victim-years, or QALYs), both against the baseline.
struct CostEffectiveness {
  std::vector<Frontier> status;  // [arm], arm 0 the baseline (always Efficient)
  std::vector<double> cost;      // [arm] mean extra spending (USD)
  std::vector<double> effect;    // [arm] mean outcome averted (victim-years or QALYs)
  std::vector<int>
      comparator;  // [arm] the next cheaper frontier arm; -1 for the baseline and off the frontier
  std::vector<EffectEstimate>
      icer;  // [arm] against the comparator (delta-method interval); NaN off the frontier
  // Net monetary benefit at `value_per_victim_year` (USD per unit of the
  // outcome): value x effect - cost, per replicate pair; its mean and
  // t-interval. The baseline's is 0.
  std::vector<EffectEstimate> net_benefit;
  // The share of replicate pairs in which each arm has the highest net
  // monetary benefit (ties shared) at `value_per_victim_year`.
  std::vector<double> probability_best;
  double value_per_victim_year = kDefaultValuePerVictimYear;  // USD per unit of the outcome
  Averted outcome = Averted::VictimYears;
};

// The summaries of every run, in (point, replicate) order, by point:
// [point][replicate].
std::vector<std::vector<std::vector<double>>> runs_by_arm(const std::vector<std::vector<double>>& summaries,
                                                          std::size_t replicates);

// `runs[arm][replicate]` holds each arm's summaries (arm 0 the baseline),
// every arm with the same replicates on the same random streams.
CostEffectiveness cost_effectiveness(std::span<const std::vector<std::vector<double>>> runs,
                                     double value_per_victim_year, Averted outcome = Averted::VictimYears);

// The probability that each arm (arm 0 the baseline) is the most
// cost-effective at each value in `values` (a cost-effectiveness
// acceptability curve): [value][arm].
// The values per victim-year the run file's acceptability curve is drawn
// at: 0, then 1 000 to 10 000 000 USD, five a decade.
std::vector<double> acceptability_values();

std::vector<std::vector<double>> acceptability_curve(std::span<const std::vector<std::vector<double>>> runs,
                                                     std::span<const double> values,
                                                     Averted outcome = Averted::VictimYears);

}  // namespace tipsim

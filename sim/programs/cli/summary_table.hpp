// The tables `tipsim run`, `sweep`, `compare` and `inspect` print on
// stdout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "allocation.hpp"
#include "comparison.hpp"
#include "metrics.hpp"

namespace tipsim::cli {

// How counts are shown: in real people (the default), or in agents for
// those who debug the model (--agent-units). Money is real USD either way.
struct Display {
  double scale = 1;          // real people per agent
  bool agent_units = false;  // show counts of people divided by the scale
  // A figure of this basis as shown.
  double shown(Basis basis, double value) const {
    return agent_units && basis == Basis::People && scale > 0 ? value / scale : value;
  }
};

// What the table says about the run besides its figures.
struct RunFacts {
  std::string scenario_name;
  std::string output_path;
  std::size_t points = 1;
  std::size_t replicates = 1;
  std::int64_t steps = 0;
  std::int64_t burn_in_steps = 0;
  double step_days = 7;
  double population = 0;   // persons of the model, each standing for display.scale people
  bool in_strata = false;  // population.untouched_in_strata: the untouched are counts, not agents
  Display display;         // real people per agent, and whether counts show agents
  double wall_seconds = 0;
  std::size_t runs_resumed = 0;      // runs the resumed file already held (not run again)
  int ranks = 1;                     // MPI ranks that ran the runs
  std::size_t points_sharing = 0;    // points that share their first steps with others (shared_starts())
  std::int64_t shared_steps = 0;     // first steps every point has in common, run once per replicate
  double memory_peak_bytes = 0;      // resident at the peak, this process; 0 when not known
  double memory_estimate_bytes = 0;  // what the run was estimated to need before it started
};

// Prints the figures most people want, TRUE (what exists) apart from
// OBSERVED (what agencies see): the mean over replicates and, with more than
// one replicate, the 10-90 % range. `summaries` holds one summarize() vector
// per replicate, in summary_table() order.
void print_summary(std::FILE* out, const RunFacts& facts, const std::vector<std::vector<double>>& summaries);

// The table `tipsim sweep` ends with: one row per point, the value of each
// varied key and the mean over replicates of the headline figures.
// `values` is [point][key]; `summaries` one summarize() vector per run, in
// (point, replicate) order.
void print_sweep_summary(std::FILE* out, const RunFacts& facts, const std::vector<std::string>& keys,
                         const std::vector<std::vector<std::string>>& values,
                         const std::vector<std::vector<double>>& summaries);

// One arm's effects against the baseline, in effect_table() order.
struct ArmEstimates {
  std::string name;
  std::vector<EffectEstimate> effects;
};

// One arm's row of the cost-effectiveness table (the baseline first).
struct CostEffectivenessRow {
  std::string name;
  std::string status;      // frontier_label()
  std::string comparator;  // the arm the ICER is against; empty off the frontier
  double cost = 0;         // mean extra spending against the baseline, USD
  double effect = 0;       // mean victim-years averted against the baseline
  EffectEstimate icer, net_benefit;
  double probability_best = 0;
};

// The rows of a comparison's cost-effectiveness, from its runs.
std::vector<CostEffectivenessRow> cost_effectiveness_rows(const std::vector<std::string>& names,
                                                          const CostEffectiveness& ce);

// The table that orders the arms by cost, marks the dominated ones and
// gives each frontier arm's ICER, net monetary benefit and probability of
// being the most cost-effective.
// `value` is USD per unit of the outcome (a victim-year, or a QALY).
void print_cost_effectiveness(std::FILE* out, const Display& display, double value, Averted outcome,
                              std::size_t replicates, const std::vector<CostEffectivenessRow>& rows);

// The effect table `tipsim compare` ends with, and `tipsim inspect` shows
// for a comparison file: for each arm, each effect's mean and 95 % interval.
void print_comparison(std::FILE* out, const RunFacts& facts, const std::string& baseline,
                      const std::vector<ArmEstimates>& arms, double value, Averted outcome,
                      const std::vector<CostEffectivenessRow>& cost_effectiveness);

// The table `tipsim allocate` ends with: at each budget level the best
// split, what it averts, and how it compares with the even split.
void print_allocation(std::FILE* out, const RunFacts& facts, const std::vector<std::string>& targets,
                      const std::vector<std::vector<double>>& weights,
                      const std::vector<AllocationLevel>& levels, std::size_t splits, bool by_net_benefit,
                      double value, Averted outcome);

// The per-arm effect tables alone (print_comparison() without its header
// and footer).
void print_effect_tables(std::FILE* out, const Display& display, const std::string& baseline,
                         std::size_t replicates, const std::vector<ArmEstimates>& arms);

// Headline figures side by side: one column per label, `means[column]`
// holding a value per summary_table() row (NaN when unknown).
void print_headlines(std::FILE* out, const Display& display, const std::vector<std::string>& column_labels,
                     const std::vector<std::vector<double>>& means);

// The sentence under every table's heading: the period the counts cover
// and their unit (real people, or agents with --agent-units).
std::string units_text(const Display& display);

// The lines under every table: run file, runs and speed.
void print_run_footer(std::FILE* out, const RunFacts& facts);

// Means over replicates of each point's summaries: [point][summary row].
std::vector<std::vector<double>> point_means(const std::vector<std::vector<double>>& summaries,
                                             std::size_t points);

// A figure for people: thousands separated, a few significant digits.
std::string format_figure(double value);
// "1.5 GiB", for messages.
std::string format_bytes(double bytes);

// The q-quantile (0..1) of values, linearly interpolated between order
// statistics (Hyndman and Fan type 7, as R and NumPy default to).
double quantile(std::vector<double> values, double q);

}  // namespace tipsim::cli

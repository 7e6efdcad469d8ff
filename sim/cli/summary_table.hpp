// The table `tipsim run` prints on stdout at the end of a run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace tipsim::cli {

// What the table says about the run besides its figures.
struct RunFacts {
  std::string scenario_name;
  std::string output_path;
  std::size_t replicates = 1;
  std::int64_t steps = 0;
  std::int64_t burn_in_steps = 0;
  double step_days = 7;
  double population = 0;  // person agents
  double scale = 1;       // real people per agent
  double wall_seconds = 0;
};

// Prints the figures most people want, TRUE (what exists) apart from
// OBSERVED (what agencies see): the mean over replicates and, with more than
// one replicate, the 10-90 % range. `summaries` holds one summarize() vector
// per replicate, in summary_table() order.
void print_summary(std::FILE* out, const RunFacts& facts, const std::vector<std::vector<double>>& summaries);

// A figure for people: thousands separated, a few significant digits.
std::string format_figure(double value);

// The q-quantile (0..1) of values, linearly interpolated between order
// statistics (Hyndman and Fan type 7, as R and NumPy default to).
double quantile(std::vector<double> values, double q);

}  // namespace tipsim::cli

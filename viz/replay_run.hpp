// A run file opened for replay: its scenario and every (point, replicate)
// series in the model's own frame layout, so that replay and live mode
// share every panel; plus the quantile bands across replicates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "indicators.hpp"
#include "metrics.hpp"
#include "params.hpp"

namespace tipsim::viz {

// Per step: the 10 %, 50 % (median) and 90 % quantiles across runs.
struct Band {
  std::vector<double> low;     // 10 %
  std::vector<double> median;  // 50 %
  std::vector<double> high;    // 90 %
};

// The q-quantile (q in [0, 1]) of the values, interpolating linearly
// between order statistics (NumPy's and R's default, type 7). NaN when empty.
double quantile(std::vector<double> values, double q);
// The band of several runs of equal length, step by step.
Band quantile_band(std::span<const std::vector<double>> runs);

class ReplayRun {
 public:
  // Reads the file at `path`. Throws output::FormatError for a file that
  // is not a tipsim run, of a newer format or with series of an unexpected
  // shape, and output::OutputError when it cannot be read.
  explicit ReplayRun(const std::string& path);

  const std::string& path() const { return path_; }
  std::size_t points() const { return points_; }
  std::size_t replicates() const { return replicates_; }
  std::int32_t steps() const { return steps_; }
  std::size_t regions() const { return regions_; }
  double step_days() const { return step_days_; }
  const std::string& command_line() const { return command_line_; }
  const std::string& created() const { return created_; }

  // The scenario of a sweep point as the file records it (its resolved
  // TOML); for display and for where regions sit on the map.
  const Scenario& scenario(std::size_t point) const { return scenarios_.at(point); }
  // Metric names the file lacks (a file from another version): they read as zero.
  const std::vector<std::string>& missing_metrics() const { return missing_; }

  const Series& series(std::size_t point, std::size_t replicate) const {
    return series_.at(point * replicates_ + replicate);
  }

  // An indicator in one replicate, or (replicate < 0) its band across
  // replicates.
  std::vector<double> indicator(std::size_t point, std::size_t replicate, Indicator which, int region) const;
  Band indicator_band(std::size_t point, Indicator which, int region) const;

  // One step's frame: a replicate's, or (replicate < 0) the median of
  // every value across replicates.
  std::vector<double> frame(std::size_t point, int replicate, std::int32_t step) const;
  // The flows along routes at a step, estimated from the metrics (see
  // estimate_route_flows); with replicate < 0 the median across replicates.
  RouteFlows route_flows(std::size_t point, int replicate, std::int32_t step) const;

 private:
  std::string path_;
  std::size_t points_ = 0;
  std::size_t replicates_ = 0;
  std::int32_t steps_ = 0;
  std::size_t regions_ = 0;
  double step_days_ = 7;
  std::string command_line_;
  std::string created_;
  std::vector<Scenario> scenarios_;  // one per point
  std::vector<Series> series_;       // point-major, then replicate
  std::vector<std::string> missing_;
  std::vector<std::vector<double>> recruited_;  // per run: (step, region) cumulative recruitments
};

}  // namespace tipsim::viz

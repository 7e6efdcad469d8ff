// An experiment's replicates kept in memory, in the order the experiment
// delivers them (run index order), for tests that read their series.
#pragma once

#include <utility>
#include <vector>

#include "experiment.hpp"

namespace tipsim::test {

class CollectedRuns : public ReplicateSink {
 public:
  std::vector<ReplicateResult> results;
  void consume(ReplicateResult&& r) override { results.push_back(std::move(r)); }
};

// Runs the experiment and returns every replicate it delivered.
inline std::vector<ReplicateResult> collected_runs(const std::vector<Scenario>& points,
                                                   const ExperimentOptions& options) {
  CollectedRuns sink;
  run_experiment(points, options, sink);
  return std::move(sink.results);
}

}  // namespace tipsim::test

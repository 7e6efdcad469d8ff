// The cost of writing results against the cost of computing them: one
// replicate of the baseline (1 M persons, 520 steps) simulated, and the same
// replicate's series and summaries written to run files of 1, 4 and 20
// replicates (the file's metadata is written once per file).
//
//   build/bench/output_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "build_info.hpp"
#include "run_file.hpp"
#include "scenario_loader.hpp"
#include "simulation.hpp"

namespace {

const tipsim::Scenario& baseline() {
  static const tipsim::Scenario scenario = tipsim::load_scenario_file(
      std::string(tipsim::bundled_scenario_dir()) + "/baseline.toml", {"scenario.replicates=1"});
  return scenario;
}

tipsim::ReplicateResult simulate() {
  tipsim::Simulation simulation(baseline(), 0);
  simulation.run_to_end();
  tipsim::ReplicateResult result;
  result.series = simulation.take_series();
  result.summary =
      tipsim::summarize(result.series, 52, baseline().step_years(),
                        baseline().get(tipsim::Param::population_scale), tipsim::harm_weights(baseline()));
  return result;
}

void BM_SimulateReplicate(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(simulate());
}

// A whole run file of N replicates: created, filled and committed.
void BM_WriteRun(benchmark::State& state) {
  const auto replicates = static_cast<std::size_t>(state.range(0));
  const tipsim::ReplicateResult computed = simulate();
  const auto path =
      std::filesystem::temp_directory_path() / ("tipsim-output-bench-" + std::to_string(getpid()) + ".h5");
  for (auto _ : state) {
    tipsim::output::RunFileInfo info;
    info.command_line = "output_bench";
    info.points = {baseline()};
    info.replicates = replicates;
    tipsim::output::RunFileWriter writer(path.string(), info);
    for (std::size_t r = 0; r < replicates; ++r) {
      tipsim::ReplicateResult copy = computed;
      copy.replicate = r;
      writer.consume(std::move(copy));
    }
    writer.commit();
  }
  std::filesystem::remove(path);
}

BENCHMARK(BM_SimulateReplicate)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_WriteRun)
    ->ArgName("replicates")
    ->Arg(1)
    ->Arg(4)
    ->Arg(20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

// One step of the baseline world at 1 M and 10 M persons on 1 and 2 threads.
// Reports person-steps per second and the bytes of model state per person.
//
//   build/bench/step_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <map>
#include <memory>

#include "build_info.hpp"
#include "phases.hpp"
#include "scenario_loader.hpp"

namespace {

template <typename T>
std::size_t bytes_of(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

// Every person and trafficker array (person_fields.def,
// trafficker_fields.def) and the involved list, as allocated.
std::size_t state_bytes(const tipsim::State& w) {
  std::size_t bytes = bytes_of(w.involved);
  const auto add = [&](const char*, const auto& array) { bytes += bytes_of(array); };
  w.persons.for_each_field(add);
  w.traffickers.for_each_field(add);
  return bytes;
}

// One world per population size, warmed up past its first year, shared by
// the thread-count variants (the step is deterministic in thread count).
struct Fixture {
  tipsim::Model model;
  tipsim::State state;
  tipsim::StepContext context;
};

Fixture& fixture(std::int64_t persons) {
  static std::map<std::int64_t, std::unique_ptr<Fixture>> worlds;
  auto& slot = worlds[persons];
  if (!slot) {
    slot = std::make_unique<Fixture>();
    slot->model = tipsim::compile_model(
        tipsim::load_scenario_file(std::string(tipsim::bundled_scenario_dir()) + "/baseline.toml",
                                   {"population.size=" + std::to_string(persons), "scenario.steps=1000000"}));
    slot->state = tipsim::initial_state(slot->model, 0);
    slot->context = tipsim::StepContext(slot->model);
    for (int s = 0; s < 52; ++s) tipsim::step(slot->model, slot->state, slot->context);
  }
  return *slot;
}

void BM_BaselineStep(benchmark::State& state) {
  const std::int64_t persons = state.range(0);
  const auto threads = static_cast<std::size_t>(state.range(1));
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  Fixture& f = fixture(persons);
  for (auto _ : state) tipsim::step(f.model, f.state, f.context);
  state.counters["person_steps_per_s"] =
      benchmark::Counter(static_cast<double>(persons), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes_per_person"] =
      static_cast<double>(state_bytes(f.state)) / static_cast<double>(persons);
  state.counters["involved"] = static_cast<double>(f.state.involved.size());
}

BENCHMARK(BM_BaselineStep)
    ->ArgNames({"persons", "threads"})
    ->Args({1'000'000, 1})
    ->Args({1'000'000, 2})
    ->Args({10'000'000, 1})
    ->Args({10'000'000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

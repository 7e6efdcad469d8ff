// One step of the baseline world at 1 M and 10 M persons on 1 and 2 threads,
// and with the untouched in strata at 10 M, 100 M and 1 billion persons with
// the same number involved (every density per 100 000 population scaled
// down as the population grows), and again with the same number reached by
// campaigns and empowerment as well (their reach, a share of the
// population, scaled down too). Reports person-steps per second, the bytes
// of model state per person and the people involved.
//
//   build/bench/step_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "build_info.hpp"
#include "phases.hpp"
#include "scenario_loader.hpp"

namespace {

template <typename T>
std::size_t bytes_of(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

// Every person and trafficker array (person_fields.def,
// trafficker_fields.def), the involved list and, with strata, the strata and
// the regions' lists of agents, as allocated.
std::size_t state_bytes(const tipsim::State& w) {
  std::size_t bytes = bytes_of(w.involved);
  const auto add = [&](const char*, const auto& array) { bytes += bytes_of(array); };
  w.persons.for_each_field(add);
  w.traffickers.for_each_field(add);
  for (const auto& strata : w.strata) bytes += bytes_of(strata);
  for (const auto& members : w.members) bytes += bytes_of(members);
  return bytes;
}

// One world per population size, shared by the thread-count variants (the
// step is deterministic in thread count). Warmed up past its first year;
// with strata, for the fifteen years a world run lasts: the strata's
// awareness levels accumulate as campaigns go on, for as long as a boost
// takes to decay to nothing, and a step costs what the strata then hold.
struct Fixture {
  tipsim::Model model;
  tipsim::State state;
  tipsim::StepContext context;
};

// The worlds stepped: every person an agent; the untouched in strata with
// as many involved; and with as many reached by prevention as well.
enum class World { Agents, Strata, StrataSameReach };
// With strata, a world of `persons` involving as many people as the
// baseline at 10 M: every density per 100 000 population times 10 M /
// persons. In StrataSameReach, prevention's reach (a share of the
// population a year) too, so that campaigns and empowerment change as many
// people's awareness each step as at 10 M: the people whose state changes
// are then the same number at every size.
bool scaled(const tipsim::ParamSpec& p, World world) {
  const std::string_view unit(p.unit), key(p.key);
  if (unit.find("per 100 000 population") != std::string_view::npos) return true;
  return world == World::StrataSameReach && key.starts_with("policy.prevention.") &&
         unit == "share of population per year";
}
tipsim::Scenario as_many_involved(tipsim::Scenario s, double persons, World world) {
  const double factor = 1e7 / persons;
  for (const tipsim::ParamSpec& p : tipsim::param_table()) {
    if (!scaled(p, world)) continue;
    s.globals[p.id] *= factor;
    for (tipsim::RegionSpec& r : s.regions) r.values[p.id] *= factor;
  }
  return s;
}

Fixture& fixture(std::int64_t persons, World world) {
  static std::map<std::pair<std::int64_t, World>, std::unique_ptr<Fixture>> worlds;
  auto& slot = worlds[{persons, world}];
  const bool strata = world != World::Agents;
  if (!slot) {
    slot = std::make_unique<Fixture>();
    tipsim::Scenario scenario = tipsim::load_scenario_file(
        std::string(tipsim::bundled_scenario_dir()) + "/baseline.toml",
        {"population.size=" + std::to_string(persons), "scenario.steps=1000000",
         std::string("population.untouched_in_strata=") + (strata ? "true" : "false")});
    if (strata) scenario = as_many_involved(scenario, static_cast<double>(persons), world);
    slot->model = tipsim::compile_model(scenario);
    slot->state = tipsim::initial_state(slot->model, 0);
    slot->context = tipsim::StepContext(slot->model);
    const int warm_up = strata ? 780 : 52;
    for (int s = 0; s < warm_up; ++s) tipsim::step(slot->model, slot->state, slot->context);
  }
  return *slot;
}

void step_world(benchmark::State& state, World world) {
  const std::int64_t persons = state.range(0);
  const auto threads = static_cast<std::size_t>(state.range(1));
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  Fixture& f = fixture(persons, world);
  for (auto _ : state) tipsim::step(f.model, f.state, f.context);
  state.counters["person_steps_per_s"] =
      benchmark::Counter(static_cast<double>(persons), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes_per_person"] =
      static_cast<double>(state_bytes(f.state)) / static_cast<double>(persons);
  state.counters["involved"] = static_cast<double>(f.state.involved.size());
  // The strata that hold people: what the strata's passes cost grows with.
  std::size_t strata_held = 0;
  for (const auto& region : f.state.strata) strata_held += region.size();
  state.counters["strata"] = static_cast<double>(strata_held);
}

void BM_BaselineStep(benchmark::State& state) { step_world(state, World::Agents); }
void BM_StrataStep(benchmark::State& state) { step_world(state, World::Strata); }
void BM_StrataStepSameReach(benchmark::State& state) { step_world(state, World::StrataSameReach); }

BENCHMARK(BM_BaselineStep)
    ->ArgNames({"persons", "threads"})
    ->Args({1'000'000, 1})
    ->Args({1'000'000, 2})
    ->Args({10'000'000, 1})
    ->Args({10'000'000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The strata worlds' sizes and thread counts, and as many steps at every
// size, so that each is timed at the same ages of its world (strata
// accumulate awareness levels as campaigns go on).
void strata_worlds(benchmark::internal::Benchmark* b) {
  b->ArgNames({"persons", "threads"});
  for (const std::int64_t persons : {10'000'000, 100'000'000, 1'000'000'000})
    for (const std::int64_t threads : {1, 2}) b->Args({persons, threads});
  b->Iterations(150)->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_StrataStep)->Apply(strata_worlds);
// The same worlds with as many people reached by campaigns and empowerment
// at every size: what the step costs beyond the people whose state changes.
BENCHMARK(BM_StrataStepSameReach)->Apply(strata_worlds);

}  // namespace

BENCHMARK_MAIN();

// Phase 2: prevention. Awareness campaigns and economic empowerment reach a
// share of the population per year (reach_per_step() each step), acting on
// those who are FREE. (Fee bans, due diligence and demand reduction act
// through recruitment and the market phase.)
#include <tbb/parallel_for.h>

#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "sampling.hpp"

namespace tipsim {

namespace {

// Each person block has two prevention streams of its own (agent ids
// kPerBlock x block + offset), one per pass; their draws belong to
// for_each_sampled.
namespace block_streams {
constexpr std::uint32_t kPerBlock = 2;
constexpr std::uint32_t kAwareness = 0;
constexpr std::uint32_t kEmpowerment = 1;
}  // namespace block_streams

}  // namespace

void run_prevention(const Model& model, State& state, StepContext& /*ctx*/) {
  const Scenario& s = model.scenario;
  const double dt = model.step_years;
  const double gain = s.get(Param::prevention_awareness_gain);
  const double empowerment_effect = s.get(Param::prevention_empowerment_effect);
  const double decay = s.get(Param::prevention_awareness_decay_per_year);

  tbb::parallel_for(std::size_t{0}, model.blocks.size(), [&](std::size_t b) {
    const PersonBlock block = model.blocks[b];
    const ParamValues& lv = levers(state, block.region);
    auto& p = state.persons;
    // Reach per year is a share of the population; per step a probability.
    Stream awareness_stream =
        Stream(model.seed, state.replicate, static_cast<std::uint32_t>(state.step), Phase::Prevention,
               AgentKind::PersonBlock,
               static_cast<std::uint32_t>(block_streams::kPerBlock * b + block_streams::kAwareness));
    for_each_sampled(awareness_stream, block.begin, block.end,
                     reach_per_step(lv[Param::policy_prevention_awareness_reach], dt), [&](std::uint32_t i) {
                       if (p.state[i] != static_cast<std::uint8_t>(PersonState::Free)) return;
                       const double a = awareness_now(model, state, i);
                       set_awareness(state, i, a + gain * (1.0 - a));
                     });
    Stream empowerment_stream =
        Stream(model.seed, state.replicate, static_cast<std::uint32_t>(state.step), Phase::Prevention,
               AgentKind::PersonBlock,
               static_cast<std::uint32_t>(block_streams::kPerBlock * b + block_streams::kEmpowerment));
    // Empowerment lowers a person's vulnerability once: a second programme
    // reaching the same person does not compound the cut.
    for_each_sampled(
        empowerment_stream, block.begin, block.end,
        reach_per_step(lv[Param::policy_prevention_empowerment_reach], dt), [&](std::uint32_t i) {
          if (p.state[i] != static_cast<std::uint8_t>(PersonState::Free) || p.empowered[i]) return;
          p.vulnerability[i] = static_cast<float>(p.vulnerability[i] * (1.0 - empowerment_effect));
          p.empowered[i] = 1;
        });
  });

  // The regional mean awareness follows the same dynamics in mean field:
  // campaign contacts close a share of the gap to 1, decay pulls it back to
  // the base. Hotline reporting reads it.
  const double keep = std::exp(-decay * dt);
  for (RegionState& rs : state.regions) {
    const double base = rs.levers[Param::population_awareness_base];
    const double reached = reach_per_step(rs.levers[Param::policy_prevention_awareness_reach], dt);
    double a = rs.awareness_mean;
    a += reached * gain * (1.0 - a);
    a = base + (a - base) * keep;
    rs.awareness_mean = std::clamp(a, 0.0, 1.0);
  }
}

}  // namespace tipsim

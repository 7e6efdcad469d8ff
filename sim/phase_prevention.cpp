// Phase 2: prevention. Awareness campaigns and economic empowerment reach a
// share of the free population each step. (Fee bans, due diligence and
// demand reduction act through recruitment and the market phase.)
#include <tbb/parallel_for.h>

#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "sampling.hpp"

namespace tipsim {

void run_prevention(World& w) {
  const Scenario& s = *w.scenario;
  const double dt = w.step_years;
  const double gain = s.get(Param::prevention_awareness_gain);
  const double empowerment_effect = s.get(Param::prevention_empowerment_effect);
  const double decay = s.get(Param::prevention_awareness_decay);

  tbb::parallel_for(std::size_t{0}, w.blocks.size(), [&](std::size_t b) {
    const PersonBlock block = w.blocks[b];
    const ParamValues& lv = levers(w, block.region);
    auto& p = w.persons;
    // Reach per year is a share of the population; per step a probability.
    Stream awareness_stream =
        Stream(w.seed, w.replicate, static_cast<std::uint32_t>(w.step), Phase::Prevention,
               AgentKind::PersonBlock, static_cast<std::uint32_t>(2 * b));
    for_each_sampled(awareness_stream, block.begin, block.end,
                     std::min(1.0, lv[Param::policy_awareness_reach] * dt), [&](std::uint32_t i) {
                       if (p.state[i] != static_cast<std::uint8_t>(PersonState::Free)) return;
                       const double a = awareness_now(w, i);
                       set_awareness(w, i, a + gain * (1.0 - a));
                     });
    Stream empowerment_stream =
        Stream(w.seed, w.replicate, static_cast<std::uint32_t>(w.step), Phase::Prevention,
               AgentKind::PersonBlock, static_cast<std::uint32_t>(2 * b + 1));
    for_each_sampled(empowerment_stream, block.begin, block.end,
                     std::min(1.0, lv[Param::policy_empowerment_reach] * dt), [&](std::uint32_t i) {
                       if (p.state[i] != static_cast<std::uint8_t>(PersonState::Free)) return;
                       p.vulnerability[i] =
                           static_cast<float>(p.vulnerability[i] * (1.0 - empowerment_effect));
                     });
  });

  // The regional mean awareness follows the same dynamics in mean field:
  // campaign contacts close a share of the gap to 1, decay pulls it back to
  // the base. Hotline reporting reads it.
  const double keep = std::exp(-decay * dt);
  for (RegionState& rs : w.regions) {
    const double base = rs.levers[Param::population_awareness_base];
    const double reached = std::min(1.0, rs.levers[Param::policy_awareness_reach] * dt);
    double a = rs.awareness_mean;
    a += reached * gain * (1.0 - a);
    a = base + (a - base) * keep;
    rs.awareness_mean = std::clamp(a, 0.0, 1.0);
  }
}

}  // namespace tipsim

// Phase 10: demography (optional). Free people leave the population at risk
// and are replaced by new entrants with fresh attributes; free children grow
// up. Long runs so keep a realistic at-risk population instead of one that
// only ever gets more aware and less vulnerable.
#include <tbb/parallel_for.h>

#include <boost/random/beta_distribution.hpp>

#include "person_ops.hpp"
#include "phases.hpp"
#include "sampling.hpp"

namespace tipsim {

void run_demography(const Model& model, State& state, StepContext& /*ctx*/) {
  const Scenario& s = model.scenario;
  const double turnover = std::min(1.0, s.get(Param::demography_turnover_per_year) * model.step_years);
  const double ageing = std::min(1.0, s.get(Param::demography_child_ageing_per_year) * model.step_years);
  if (turnover <= 0 && ageing <= 0) return;
  auto& p = state.persons;
  tbb::parallel_for(std::size_t{0}, model.blocks.size(), [&](std::size_t b) {
    const PersonBlock block = model.blocks[b];
    const ParamValues& lv = levers(state, block.region);
    Stream turnover_stream =
        Stream(model.seed, state.replicate, static_cast<std::uint32_t>(state.step), Phase::Demography,
               AgentKind::PersonBlock, static_cast<std::uint32_t>(2 * b));
    const double mean = lv[Param::population_vulnerability_mean], sd = lv[Param::population_vulnerability_sd];
    // An intervention may push sd past what a Beta with this mean allows;
    // the spread is then capped just below that limit.
    const double k = std::max(1e-3, mean * (1.0 - mean) / (sd * sd) - 1.0);
    for_each_sampled(turnover_stream, block.begin, block.end, turnover, [&](std::uint32_t i) {
      if (p.state[i] != static_cast<std::uint8_t>(PersonState::Free)) return;
      Stream ps = person_stream(model, state, Phase::Demography, i);
      std::uint8_t flags = 0;
      if (ps.bernoulli(0, lv[Param::population_female_share])) flags |= person_flag::kFemale;
      if (ps.bernoulli(1, lv[Param::population_child_share])) flags |= person_flag::kChild;
      boost::random::beta_distribution<double> vulnerability(mean * k, (1.0 - mean) * k);
      p.flags[i] = flags;
      p.vulnerability[i] = static_cast<float>(vulnerability(ps));
      p.awareness_boost[i] = 0.0f;
      p.awareness_step[i] = state.step;
      p.times_trafficked[i] = 0;
      p.debt[i] = 0.0f;
      p.state_since[i] = state.step;
    });
    Stream ageing_stream =
        Stream(model.seed, state.replicate, static_cast<std::uint32_t>(state.step), Phase::Demography,
               AgentKind::PersonBlock, static_cast<std::uint32_t>(2 * b + 1));
    for_each_sampled(ageing_stream, block.begin, block.end, ageing, [&](std::uint32_t i) {
      if (p.state[i] != static_cast<std::uint8_t>(PersonState::Free)) return;
      p.flags[i] &= static_cast<std::uint8_t>(~person_flag::kChild);
    });
  });
}

}  // namespace tipsim

// Phase 2: prevention. Awareness campaigns and economic empowerment reach a
// share of the population per year (reach_per_step() each step), acting on
// those who are FREE. (Fee bans, due diligence and demand reduction act
// through recruitment and the market phase.)
#include <tbb/parallel_for.h>

#include <array>

#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "population.hpp"
#include "sampling.hpp"

namespace tipsim {

namespace {

// Each person block has two prevention streams of its own (agent ids
// kPerBlock x block + offset), one per pass; their draws belong to
// for_each_sampled.
namespace prevention_streams {
constexpr std::uint32_t kPerBlock = 2;
constexpr std::uint32_t kAwareness = 0;
constexpr std::uint32_t kEmpowerment = 1;
}  // namespace prevention_streams

// Campaigns and empowerment reach the untouched people of region r: of a
// stratum's n, Binomial(n, reach) are contacted and move to the level of
// their new awareness; empowerment reaches each person independently of
// contact, and the empowered move to the empowered stratum. Boosts that
// have decayed below kNegligibleBoost return to no boost.
void reach_strata(const Model& model, State& state, std::size_t r, std::vector<Stratum>& moved,
                  std::array<std::vector<Stratum>, 3>& runs) {
  const double dt = model.step_years;
  const ParamValues& lv = levers(state, r);
  const double gain = model.scenario.get(Param::prevention_awareness_gain);
  const double base = lv[Param::population_awareness_base];
  const double contact = reach_per_step(lv[Param::policy_prevention_awareness_reach], dt);
  const double empowerment = reach_per_step(lv[Param::policy_prevention_empowerment_reach], dt);
  const std::int32_t lowest = lowest_boosted_level(model, state.step);
  auto shared = [&](StratumPass pass) {
    return stratum_stream(model, state, Phase::Prevention, pass, r, kRegionStream);
  };
  StrataHits contacts(shared(StratumPass::CampaignsShared), contact);
  StrataHits empowered(shared(StratumPass::EmpowermentShared), empowerment);
  std::vector<Stratum>& strata = state.strata[r];
  moved.clear();
  for (std::uint32_t k = 0; k < strata.size(); ++k) {
    Stratum& s = strata[k];
    if (s.awareness_level != kNoBoost && s.awareness_level < lowest) {
      moved.push_back(Stratum{s.traits, s.vulnerability_bin, kNoBoost, s.people});
      s.people = 0;
      continue;
    }
    if (!(contact > 0) && !(empowerment > 0)) continue;
    Stream own = stratum_stream(model, state, Phase::Prevention, StratumPass::Campaigns, r, k);
    const std::uint64_t contacted = contacts.hits(s.people, own);
    const bool can_empower = !(s.traits & stratum_trait::kEmpowered);
    const std::uint64_t empowered_contacted = can_empower ? empowered.hits(contacted, own) : 0;
    const std::uint64_t empowered_alone = can_empower ? empowered.hits(s.people - contacted, own) : 0;
    if (contacted == 0 && empowered_alone == 0) continue;
    const double a = stratum_awareness(model, state, r, s);
    const std::int32_t raised = boost_level(model, a + gain * (1.0 - a) - base, state.step);
    const auto empowered_traits = static_cast<std::uint16_t>(s.traits | stratum_trait::kEmpowered);
    // Each kind of move in a list of its own, which stays in stratum order.
    auto move = [](std::vector<Stratum>& to, Stratum st) {
      if (st.people > 0) to.push_back(st);
    };
    move(runs[0], Stratum{s.traits, s.vulnerability_bin, raised, contacted - empowered_contacted});
    move(runs[1], Stratum{empowered_traits, s.vulnerability_bin, raised, empowered_contacted});
    move(runs[2], Stratum{empowered_traits, s.vulnerability_bin, s.awareness_level, empowered_alone});
    s.people -= contacted + empowered_alone;
  }
  for (std::vector<Stratum>& run : runs) {
    moved.insert(moved.end(), run.begin(), run.end());
    run.clear();
  }
  merge_moved(strata, moved);
}

}  // namespace

void run_prevention(const Model& model, State& state, StepContext& ctx) {
  const Scenario& s = model.scenario;
  const double dt = model.step_years;
  const double gain = s.get(Param::prevention_awareness_gain);
  const double empowerment_effect = s.get(Param::prevention_empowerment_effect);
  const double decay = s.get(Param::prevention_awareness_decay_per_year);

  if (model.untouched_in_strata) {
    std::vector<std::vector<Stratum>>& moved = ctx.scratch.strata_moved;
    std::vector<std::array<std::vector<Stratum>, 3>>& runs = ctx.scratch.strata_moves_by_kind;
    moved.resize(state.strata.size());
    runs.resize(state.strata.size());
    tbb::parallel_for(std::size_t{0}, state.strata.size(),
                      [&](std::size_t r) { reach_strata(model, state, r, moved[r], runs[r]); });
  }
  std::vector<PersonBlock>& blocks = ctx.scratch.blocks;
  person_blocks(model, state, blocks);
  tbb::parallel_for(std::size_t{0}, blocks.size(), [&](std::size_t b) {
    const PersonBlock block = blocks[b];
    const ParamValues& lv = levers(state, block.region);
    auto& p = state.persons;
    // Reach per year is a share of the population; per step a probability.
    Stream awareness_stream = Stream(
        model.seed, state.replicate, static_cast<std::uint32_t>(state.step), Phase::Prevention,
        AgentKind::PersonBlock,
        static_cast<std::uint32_t>(prevention_streams::kPerBlock * b + prevention_streams::kAwareness));
    for_each_sampled(awareness_stream, block.begin, block.end,
                     reach_per_step(lv[Param::policy_prevention_awareness_reach], dt),
                     [&](std::uint32_t position) {
                       const std::uint32_t i = block.person(position);
                       if (p.state[i] != static_cast<std::uint8_t>(PersonState::Free)) return;
                       const double a = awareness_now(model, state, i);
                       set_awareness(state, i, a + gain * (1.0 - a));
                     });
    Stream empowerment_stream = Stream(
        model.seed, state.replicate, static_cast<std::uint32_t>(state.step), Phase::Prevention,
        AgentKind::PersonBlock,
        static_cast<std::uint32_t>(prevention_streams::kPerBlock * b + prevention_streams::kEmpowerment));
    // Empowerment lowers a person's vulnerability once: a second programme
    // reaching the same person does not compound the cut.
    for_each_sampled(
        empowerment_stream, block.begin, block.end,
        reach_per_step(lv[Param::policy_prevention_empowerment_reach], dt), [&](std::uint32_t position) {
          const std::uint32_t i = block.person(position);
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

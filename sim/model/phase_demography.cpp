// Phase 10: demography. Children who are trafficked or in services grow up;
// children born to people held in servitude by descent are born into it.
// Optionally, free people leave the population at risk and are replaced by
// new entrants with fresh attributes, and free children grow up: long runs
// so keep a realistic at-risk population instead of one that only ever gets
// more aware and less vulnerable.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <boost/random/beta_distribution.hpp>
#include <optional>
#include <utility>

#include "events.hpp"
#include "involved.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "population.hpp"
#include "sampling.hpp"
#include "scratch_buffer.hpp"

namespace tipsim {

namespace {

// Each person block has two demography streams of its own (agent ids
// kPerBlock x block + offset), one per pass.
namespace demography_streams {
constexpr std::uint32_t kPerBlock = 2;
constexpr std::uint32_t kTurnover = 0;
constexpr std::uint32_t kAgeing = 1;
}  // namespace demography_streams

// Draws of a newcomer's demography stream, one index each. (A Beta variate
// is drawn through the stream's URNG interface, far above these.)
namespace person_draw {
constexpr std::uint32_t kFemale = 0;
constexpr std::uint32_t kChild = 1;
constexpr std::uint32_t kGrowsUp = 2;
constexpr std::uint32_t kGivesBirth = 3;
constexpr std::uint32_t kNewbornFemale = 4;
constexpr std::uint32_t kNewbornTaken = 5;  // and 6: take_recruit, on the newborn's stream
constexpr std::uint32_t kNewbornSlot = 8;   // from here, two a try: who stands for the newborn
}  // namespace person_draw

// The least yearly hazards of growing up and of giving birth that the
// involved people's passes select them with (involved.hpp): above the
// defaults (1/18 and 0.033 a year).
constexpr double kAgeingAndBirthFloorPerYear = 0.125;
// The two sampled passes over the involved, by their draws of a block's stream.
namespace sampled_pass {
constexpr std::uint32_t kGrowsUp = 0;
constexpr std::uint32_t kGivesBirth = 1;
}  // namespace sampled_pass

// The involved people's own changes, in two sampled passes (each visit
// writes only the person's own flags or their own slot of `gives_birth`):
// children outside the free population grow up, and those held in
// servitude by descent give birth or not. A selected person's draw is
// compared with the event's probability over the selection's.
void age_and_conceive(const Model& model, State& state, double ageing, double birth,
                      std::vector<std::uint8_t>& gives_birth) {
  auto& p = state.persons;
  const auto& tr = state.traffickers;
  fill_buffer(gives_birth, state.involved.size(), std::uint8_t{0});
  const double ageing_selection =
      ageing > 0 ? selection_probability(ageing, kAgeingAndBirthFloorPerYear, model.step_years) : 0.0;
  for_each_involved_sampled(
      model, state, Phase::Demography, sampled_pass::kGrowsUp, ageing_selection, [&](std::size_t k) {
        const std::uint32_t i = state.involved[k];
        if (p.state[i] == static_cast<std::uint8_t>(PersonState::Free) || !(p.flags[i] & person_flag::kChild))
          return;
        Stream stream = person_stream(model, state, Phase::Demography, i);
        if (stream.uniform(person_draw::kGrowsUp) * ageing_selection < ageing)
          p.flags[i] &= static_cast<std::uint8_t>(~person_flag::kChild);
      });
  const double birth_selection =
      birth > 0 ? selection_probability(birth, kAgeingAndBirthFloorPerYear, model.step_years) : 0.0;
  for_each_involved_sampled(
      model, state, Phase::Demography, sampled_pass::kGivesBirth, birth_selection, [&](std::size_t k) {
        const std::uint32_t i = state.involved[k];
        const std::int32_t holder = p.controller[i];
        if (p.state[i] != static_cast<std::uint8_t>(PersonState::Exploited) || holder == kNoTrafficker ||
            tr.by_descent[static_cast<std::size_t>(holder)] == 0)
          return;
        Stream stream = person_stream(model, state, Phase::Demography, i);
        gives_birth[k] = stream.uniform(person_draw::kGivesBirth) * birth_selection < birth;
      });
}

// A free person of the home region of `parent` to stand for their newborn
// (the population is fixed: the newborn takes the place of a free person
// of the same region, with their vulnerability; an untouched one becomes an
// agent), or none after 64 tries.
std::optional<std::uint32_t> newborn_slot(const Model& model, State& state, std::uint32_t parent,
                                          Stream& stream) {
  const std::size_t r = state.persons.home_region[parent];
  const RegionModel& rm = model.regions[r];
  for (std::uint32_t k = 0; k < 64 && rm.population > 0; ++k) {
    const double u = stream.uniform(person_draw::kNewbornSlot + k);
    std::uint32_t person;
    if (model.untouched_in_strata) {
      const DrawnPerson drawn = draw_person(state, r, u);
      if (drawn.stratum)
        return materialise(
            model, state, r, *drawn.stratum,
            static_cast<float>(stratum_vulnerability(model, r, *drawn.stratum, drawn.fraction)));
      person = drawn.agent;
    } else {
      person = rm.person_begin + static_cast<std::uint32_t>(u * rm.population);
    }
    if (state.persons.state[person] == static_cast<std::uint8_t>(PersonState::Free)) return person;
  }
  return std::nullopt;
}

// Children born to people held in servitude by descent are born into it,
// held by the same family where the parent is held: in id order, as each
// takes a free slot. A birth changes no involved person, so who gives birth
// (age_and_conceive) is known before the first. The newborn join the
// involved people.
void births_into_servitude(const Model& model, State& state, StepContext& ctx,
                           const std::vector<std::uint8_t>& gives_birth) {
  auto& p = state.persons;
  auto& tr = state.traffickers;
  std::vector<std::uint32_t>& born = ctx.scratch.new_involved;
  born.clear();
  for (std::size_t k = 0; k < state.involved.size(); ++k) {
    if (!gives_birth[k]) continue;
    const std::uint32_t i = state.involved[k];
    const std::int32_t holder = p.controller[i];
    Stream stream = person_stream(model, state, Phase::Demography, i);
    const std::optional<std::uint32_t> child = newborn_slot(model, state, i, stream);
    if (!child) continue;
    Stream cs = person_stream(model, state, Phase::Demography, *child);
    end_recovery(state, *child);
    p.survivor[*child] = 0;
    p.flags[*child] = person_flag::kChild;
    if (cs.bernoulli(person_draw::kNewbornFemale, 0.5)) p.flags[*child] |= person_flag::kFemale;
    p.awareness_boost[*child] = 0.0f;
    p.awareness_step[*child] = state.step;
    p.times_trafficked[*child] = 0;
    take_recruit(model, state, *child, holder, Method::DebtBased, cs, person_draw::kNewbornTaken);
    // A family holds everyone born to it: what it holds is its capacity.
    const auto h = static_cast<std::size_t>(holder);
    tr.capacity[h] = std::max(tr.capacity[h], tr.victims[h]);
    p.state[*child] = static_cast<std::uint8_t>(PersonState::Exploited);
    p.state_since[*child] = state.step;
    p.current_region[*child] = p.current_region[i];
    const auto market = static_cast<std::size_t>(p.market[*child]);
    ++state.regions[p.current_region[*child]].market_victims[market];
    ctx.metric(Metric::births_into_servitude, p.current_region[*child]) += 1;
    record_person_event(model, state, ctx, EventKind::BirthIntoServitude, *child);
    born.push_back(*child);
  }
  if (born.empty()) return;
  std::sort(born.begin(), born.end());
  born.erase(std::unique(born.begin(), born.end()), born.end());
  // A newborn may take the slot of someone freed earlier in this step, who is still on the list.
  born.erase(std::remove_if(born.begin(), born.end(),
                            [&](std::uint32_t id) {
                              return std::binary_search(state.involved.begin(), state.involved.end(), id);
                            }),
             born.end());
  join_involved(state, born, ctx.scratch.merged);
}

// The people of region r's strata who leave the population at risk are
// replaced by newcomers with fresh attributes (Binomial(n, turnover) of each
// stratum, survivors still recovering among them no longer counted; as
// many newcomers, drawn as at step 0 with the levers in force);
// then Binomial(n, ageing) of each stratum of children grow up.
void renew_strata(const Model& model, State& state, std::size_t r, double turnover, double ageing,
                  std::vector<Stratum>& moved) {
  std::vector<Stratum>& strata = state.strata[r];
  auto shared = [&](StratumPass pass) {
    return stratum_stream(model, state, Phase::Demography, pass, r, kRegionStream);
  };
  moved.clear();
  if (turnover > 0) {
    StrataHits leave(shared(StratumPass::TurnoverShared), turnover);
    std::uint64_t leaving = 0, recovering_left = 0;
    for (std::uint32_t k = 0; k < strata.size(); ++k) {
      Stream own = stratum_stream(model, state, Phase::Demography, StratumPass::Turnover, r, k);
      const std::uint64_t left = leave.hits(strata[k].people, own);
      strata[k].people -= left;
      leaving += left;
      if (strata[k].traits & stratum_trait::kRecovering) recovering_left += left;
    }
    std::uint32_t& recovering = state.regions[r].survivors_recovering;
    recovering -= static_cast<std::uint32_t>(std::min<std::uint64_t>(recovering, recovering_left));
    Stream stream = shared(StratumPass::Newcomers);
    add_newcomers(model, state, r, leaving, stream, moved);
    merge_moved(strata, moved);
  }
  if (ageing > 0) {
    StrataHits grow_up(shared(StratumPass::AgeingShared), ageing);
    for (std::uint32_t k = 0; k < strata.size(); ++k) {
      if (!(strata[k].traits & stratum_trait::kChild)) continue;
      Stream own = stratum_stream(model, state, Phase::Demography, StratumPass::Ageing, r, k);
      const std::uint64_t grown = grow_up.hits(strata[k].people, own);
      if (grown == 0) continue;
      strata[k].people -= grown;
      Stratum adult = strata[k];
      adult.traits = static_cast<std::uint16_t>(adult.traits & ~stratum_trait::kChild);
      adult.people = grown;
      moved.push_back(adult);
    }
    merge_moved(strata, moved);
  }
}

}  // namespace

void run_demography(const Model& model, State& state, StepContext& ctx) {
  const Scenario& s = model.scenario;
  age_and_conceive(
      model, state, step_probability(s.get(Param::demography_child_ageing_per_year), model.step_years),
      step_probability(s.get(Param::servitude_births_per_year), model.step_years), ctx.scratch.decision);
  births_into_servitude(model, state, ctx, ctx.scratch.decision);
  const double turnover = step_probability(s.get(Param::demography_turnover_per_year), model.step_years);
  const double ageing =
      step_probability(s.get(Param::demography_free_child_ageing_per_year), model.step_years);
  if (turnover <= 0 && ageing <= 0) return;
  auto& p = state.persons;
  if (model.untouched_in_strata) {
    std::vector<std::vector<Stratum>>& moved = ctx.scratch.strata_moved;
    moved.resize(state.strata.size());
    tbb::parallel_for(std::size_t{0}, state.strata.size(),
                      [&](std::size_t r) { renew_strata(model, state, r, turnover, ageing, moved[r]); });
  }
  std::vector<PersonBlock>& blocks = ctx.scratch.blocks;
  person_blocks(model, state, blocks);
  // Survivors still recovering whom turnover replaces, by block: the
  // regions' counts are lowered after the parallel pass.
  std::vector<std::uint32_t> recovering_replaced(blocks.size(), 0);
  tbb::parallel_for(std::size_t{0}, blocks.size(), [&](std::size_t b) {
    const PersonBlock block = blocks[b];
    const ParamValues& lv = levers(state, block.region);
    Stream turnover_stream =
        Stream(model.seed, state.replicate, static_cast<std::uint32_t>(state.step), Phase::Demography,
               AgentKind::PersonBlock,
               static_cast<std::uint32_t>(demography_streams::kPerBlock * b + demography_streams::kTurnover));
    const std::pair<double, double> shape =
        beta_shape(lv[Param::population_vulnerability_mean], lv[Param::population_vulnerability_sd]);
    for_each_sampled(turnover_stream, block.begin, block.end, turnover, [&](std::uint32_t position) {
      const std::uint32_t i = block.person(position);
      if (p.state[i] != static_cast<std::uint8_t>(PersonState::Free)) return;
      Stream ps = person_stream(model, state, Phase::Demography, i);
      std::uint8_t flags = 0;
      if (ps.bernoulli(person_draw::kFemale, lv[Param::population_female_share]))
        flags |= person_flag::kFemale;
      if (ps.bernoulli(person_draw::kChild, lv[Param::population_child_share])) flags |= person_flag::kChild;
      boost::random::beta_distribution<double> vulnerability(shape.first, shape.second);
      if (p.flags[i] & person_flag::kRecovering) ++recovering_replaced[b];
      p.flags[i] = flags;
      p.survivor[i] = 0;
      p.vulnerability[i] = static_cast<float>(vulnerability(ps));
      p.awareness_boost[i] = 0.0f;
      p.awareness_step[i] = state.step;
      p.times_trafficked[i] = 0;
      p.empowered[i] = 0;
      p.debt[i] = 0.0f;
      p.state_since[i] = state.step;
    });
    Stream ageing_stream =
        Stream(model.seed, state.replicate, static_cast<std::uint32_t>(state.step), Phase::Demography,
               AgentKind::PersonBlock,
               static_cast<std::uint32_t>(demography_streams::kPerBlock * b + demography_streams::kAgeing));
    for_each_sampled(ageing_stream, block.begin, block.end, ageing, [&](std::uint32_t position) {
      const std::uint32_t i = block.person(position);
      if (p.state[i] != static_cast<std::uint8_t>(PersonState::Free)) return;
      p.flags[i] &= static_cast<std::uint8_t>(~person_flag::kChild);
    });
  });
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    std::uint32_t& recovering = state.regions[blocks[b].region].survivors_recovering;
    recovering -= std::min(recovering, recovering_replaced[b]);
  }
}

}  // namespace tipsim

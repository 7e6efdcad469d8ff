// Phase 4: recruitment, in gather form. Each region's active traffickers with
// spare capacity exert a contact pressure per method; every free person
// faces a hazard from it, shaped by their vulnerability, awareness and
// history. Candidates are found in parallel; who recruits whom is resolved
// serially in person-id order, so capacity is never over-used and the
// result does not depend on threads.
#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>

#include "events.hpp"
#include "involved.hpp"
#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "population.hpp"
#include "sampling.hpp"
#include "scratch_buffer.hpp"

namespace tipsim {

namespace {

// Draws of a person's recruitment stream, one index each. (The block
// streams' draws belong to for_each_sampled.)
namespace person_draw {
constexpr std::uint32_t kAccepted = 0;  // a visited candidate is kept with h / h_max
constexpr std::uint32_t kMethod = 1;
constexpr std::uint32_t kRecruiter = 2;
constexpr std::uint32_t kTakeRecruit = 3;  // and 4: take_recruit
constexpr std::uint32_t kTurn = 5;         // with strata: the candidate's turn among all candidates
}  // namespace person_draw

// Active traffickers with spare capacity, grouped by (region, method).
void group_recruiters(const State& state, StepContext& ctx) {
  auto& sc = ctx.scratch;
  const auto& tr = state.traffickers;
  const std::size_t groups = state.regions.size() * kMethods;
  auto group_of = [&](std::size_t t) { return tr.base_region[t] * kMethods + tr.method[t]; };
  // Families holding people by descent recruit no one: the children of
  // those they hold are born to them (demography).
  auto recruiting = [&](std::size_t t) {
    return tr.state[t] == static_cast<std::uint8_t>(TraffickerState::Active) && tr.by_descent[t] == 0 &&
           tr.victims[t] < tr.capacity[t];
  };
  tr.group_in_trade(groups, recruiting, group_of, sc.offsets, sc.ids, sc.new_involved);
}

// Contact rates per free person and step, by (region, method), and each
// region's bound on the hazard per step: views into the scratch weights.
struct ContactRates {
  const double* rate;         // regions x methods
  const double* upper_bound;  // per region
};

// The contact pressure of each region's recruiters on its free persons, by
// method: spare capacity where demand is unmet, less under a fee ban and
// perceived risk.
ContactRates contact_rates(const Model& model, const State& state, Scratch& sc) {
  const ParamValues& g = model.scenario.globals;
  const auto& tr = state.traffickers;
  const std::size_t regions = state.regions.size();
  const double contacts = g[Param::traffickers_contacts_per_slot_per_year] * model.step_years;
  const double max_factor = max_susceptibility(g);

  std::vector<double>& contact_rate = sc.weights;  // regions x methods
  contact_rate.assign(regions * kMethods + regions, 0.0);
  double* upper_bound = contact_rate.data() + regions * kMethods;  // per region: hazard bound per step
  for (std::size_t r = 0; r < regions; ++r) {
    const RegionState& rs = state.regions[r];
    if (rs.free_persons == 0) continue;
    double deterred[kMarkets];
    for (std::size_t m = 0; m < kMarkets; ++m) deterred[m] = deterrence(g, rs.perceived_risk[m]);
    double total = 0;
    for (std::size_t k = 0; k < kMethods; ++k) {
      const std::size_t grp = r * kMethods + k;
      double effort = 0;
      for (std::uint32_t x = sc.offsets[grp]; x < sc.offsets[grp + 1]; ++x) {
        const auto t = static_cast<std::size_t>(sc.ids[x]);
        effort += (tr.capacity[t] - tr.victims[t]) * rs.market_pull[tr.market[t]] * deterred[tr.market[t]];
      }
      effort *= fee_ban_factor(rs.levers, g, static_cast<Method>(k));
      contact_rate[grp] = contacts * effort / rs.free_persons;
      total += contact_rate[grp];
    }
    upper_bound[r] = -std::expm1(-total * max_factor);
  }
  return ContactRates{contact_rate.data(), upper_bound};
}

// A visited person's acceptance bound from their flags alone (child,
// recovering): their hazard at vulnerability 1 and no awareness, over
// h_max. No hazard exceeds it, since susceptibility grows with
// vulnerability (at most 1) and awareness only shields; 1e-9 more covers
// the rounding of expm1.
using FlagBounds = std::array<double, 4>;
std::size_t flag_class(std::uint8_t flags) {
  return ((flags & person_flag::kChild) ? 1u : 0u) | ((flags & person_flag::kRecovering) ? 2u : 0u);
}
FlagBounds flag_bounds(const ParamValues& g, const double* rate, double bound) {
  FlagBounds bounds{};
  for (std::size_t c = 0; c < bounds.size(); ++c) {
    const auto flags = static_cast<std::uint8_t>(((c & 1u) ? person_flag::kChild : 0u) |
                                                 ((c & 2u) ? person_flag::kRecovering : 0u));
    const double top = susceptibility_of(g, 1.0, flags);
    double total = 0;
    for (std::size_t k = 0; k < kMethods; ++k) total += rate[k] * top;
    bounds[c] = -std::expm1(-total) / bound * (1.0 + 1e-9);
  }
  return bounds;
}

// A visited free person faces the pressure of each method, shaped by their
// susceptibility and awareness; kept with h / bound, with a method drawn in
// proportion to the pressures. Most are turned down by the bound of their
// flags before their vulnerability and awareness are read (the same
// decisions: the draw is compared with a larger number first).
void consider_candidate(const Model& model, const State& state, std::uint32_t i, const double* rate,
                        double bound, const FlagBounds& by_flags, const double (&shield)[kMethods],
                        std::vector<RecruitIntent>& out) {
  if (state.persons.state[i] != static_cast<std::uint8_t>(PersonState::Free)) return;
  Stream ps = person_stream(model, state, Phase::Recruitment, i);
  const double u = ps.uniform(person_draw::kAccepted);
  if (!(u < by_flags[flag_class(state.persons.flags[i])])) return;
  const double base = susceptibility(model, state, i);
  const double awareness = awareness_now(model, state, i);
  double pressure[kMethods], total = 0;
  for (std::size_t k = 0; k < kMethods; ++k) {
    pressure[k] = rate[k] * base * (1.0 - awareness * shield[k]);
    total += pressure[k];
  }
  const double accepted = -std::expm1(-total) / bound;
  assert(accepted <= by_flags[flag_class(state.persons.flags[i])]);
  if (!(u < accepted)) return;
  out.push_back(RecruitIntent{
      i, static_cast<std::uint8_t>(pick_weighted(pressure, kMethods, ps.uniform(person_draw::kMethod)))});
}

// Candidates among the agents, in parallel over blocks of persons. The
// bound h_max lets the pass skip over most people; a visited person is
// accepted with h / h_max.
void find_candidates(const Model& model, const State& state, Scratch& sc, const ContactRates& rates) {
  const ParamValues& g = model.scenario.globals;
  double shield[kMethods];
  for (std::size_t k = 0; k < kMethods; ++k) shield[k] = awareness_shield(g, static_cast<Method>(k));
  std::array<FlagBounds, 256> by_flags;  // per region (at most 256), no allocation a step
  for (std::size_t r = 0; r < state.regions.size(); ++r)
    if (rates.upper_bound[r] > 0)
      by_flags[r] = flag_bounds(g, &rates.rate[r * kMethods], rates.upper_bound[r]);
  person_blocks(model, state, sc.blocks);
  sc.block_recruits.resize(sc.blocks.size());
  tbb::parallel_for(std::size_t{0}, sc.blocks.size(), [&](std::size_t b) {
    const PersonBlock block = sc.blocks[b];
    std::vector<RecruitIntent>& out = sc.block_recruits[b];
    out.clear();
    const double bound = rates.upper_bound[block.region];
    if (!(bound > 0)) return;
    const double* rate = &rates.rate[block.region * kMethods];
    Stream stream = block_stream(model, state, Phase::Recruitment, static_cast<std::uint32_t>(b));
    for_each_sampled(stream, block.begin, block.end, bound, [&](std::uint32_t position) {
      consider_candidate(model, state, block.person(position), rate, bound, by_flags[block.region], shield,
                         out);
    });
  });
}

// The candidates among the untouched people of region r. Within a cell
// (traits and vulnerability bin) no stratum's hazard exceeds the cell's
// bound, that of the bin's top susceptibility at the base awareness: the
// people of the cell's small strata are candidates with that bound (one
// skip process a cell, StrataHits), those of a large stratum with its own
// bound h_max (a Binomial on its stream). A candidate draws a
// vulnerability within the bin and is kept with h / p, p the probability
// they were found with, with a method in proportion to the pressures and
// a turn.
void region_candidates(const Model& model, const State& state, std::size_t r, const double* rate,
                       const double (&shield)[kMethods], std::vector<StratumRecruit>& out) {
  const ParamValues& g = model.scenario.globals;
  const std::vector<Stratum>& strata = state.strata[r];
  const double base = stratum_awareness(model, state, r, Stratum{});
  double total_at_base = 0;
  for (std::size_t k = 0; k < kMethods; ++k) total_at_base += rate[k] * (1.0 - base * shield[k]);
  std::uint32_t cell = ~0u;
  double bound_susceptibility = 0;
  StrataHits cell_hits(stratum_stream(model, state, Phase::Recruitment, StratumPass::RecruitmentShared, r, 0),
                       0);
  for (std::uint32_t index = 0; index < strata.size(); ++index) {
    const Stratum& s = strata[index];
    const std::uint8_t flags = stratum_trait::person_flags(s.traits);
    if (s.traits * 256u + s.vulnerability_bin != cell) {
      cell = s.traits * 256u + s.vulnerability_bin;
      bound_susceptibility = susceptibility_of(g, stratum_vulnerability_bound(model, r, s), flags);
      cell_hits = StrataHits(
          stratum_stream(model, state, Phase::Recruitment, StratumPass::RecruitmentShared, r, cell),
          -std::expm1(-total_at_base * bound_susceptibility));
    }
    Stream own = stratum_stream(model, state, Phase::Recruitment, StratumPass::Recruitment, r, index);
    const bool shared = cell_hits.shared_by(s.people);
    const std::uint64_t shared_hits = shared ? cell_hits.hits(s.people, own) : 0;
    if (shared && shared_hits == 0) continue;
    const double awareness = stratum_awareness(model, state, r, s);
    double pressure[kMethods], total = 0;
    for (std::size_t k = 0; k < kMethods; ++k) {
      pressure[k] = rate[k] * (1.0 - awareness * shield[k]);
      total += pressure[k];
    }
    const double h_max = -std::expm1(-total * bound_susceptibility);
    if (!(h_max > 0)) continue;
    // log(1 - h_max) is -total x bound_susceptibility, exactly.
    const std::uint64_t candidates =
        shared ? shared_hits : binomial(own, s.people, h_max, -total * bound_susceptibility);
    Stream& stream = shared ? cell_hits.shared() : own;
    const double found_with = shared ? cell_hits.p() : h_max;
    for (std::uint64_t c = 0; c < candidates; ++c) {
      const auto vulnerability = static_cast<float>(stratum_vulnerability(model, r, s, next_uniform(stream)));
      const double h = -std::expm1(-total * susceptibility_of(g, vulnerability, flags));
      const bool kept = next_uniform(stream) < h / found_with;
      const double method_draw = next_uniform(stream);
      const double turn = next_uniform(stream);
      if (!kept) continue;
      out.push_back(
          StratumRecruit{turn, index, vulnerability,
                         static_cast<std::uint8_t>(pick_weighted(pressure, kMethods, method_draw))});
    }
  }
}

// Candidates among the untouched, in parallel over the regions.
void find_stratum_candidates(const Model& model, const State& state, Scratch& sc, const ContactRates& rates) {
  const ParamValues& g = model.scenario.globals;
  double shield[kMethods];
  for (std::size_t k = 0; k < kMethods; ++k) shield[k] = awareness_shield(g, static_cast<Method>(k));
  sc.stratum_recruits.resize(state.strata.size());
  tbb::parallel_for(std::size_t{0}, state.strata.size(), [&](std::size_t r) {
    std::vector<StratumRecruit>& out = sc.stratum_recruits[r];
    out.clear();
    if (rates.upper_bound[r] > 0) region_candidates(model, state, r, &rates.rate[r * kMethods], shield, out);
  });
}

// How much trafficker t wants a recruit of region rs: spare capacity, unmet
// demand and the market's affinity for the person.
double recruiter_weight(const ParamValues& g, const Traffickers& tr, const RegionState& rs, std::size_t t,
                        bool female) {
  return (tr.capacity[t] - tr.victims[t]) * rs.market_pull[tr.market[t]] *
         market_affinity(g, static_cast<Market>(tr.market[t]), female);
}

// The recruiters' weights for a recruit of each sex, as a Fenwick tree per
// group over the group's slice of Scratch::ids, so that choosing a
// recruiter and taking a slot cost log(recruiters) rather than a walk over
// the group. The two sexes' trees are interleaved, node by node (the male
// tree's node k of group grp at trees[2 (offsets[grp] + k)], the female one
// next to it; k 0-based, the tree 1-based within the slice): a walk that
// updates both touches each cache line once.
class RecruiterTrees {
 public:
  RecruiterTrees(const Scratch& sc, std::vector<double>& trees) : sc_(sc), trees_(trees) {}

  // The trees of every group, from the recruiters' weights now, and each
  // group's spare slots with weight for a recruit of each sex in `slots`
  // (two per group); the groups are apart, so they are built in parallel.
  void build(const ParamValues& g, const State& state, std::vector<std::uint64_t>& slots) {
    const std::size_t n = sc_.ids.size();
    const auto& tr = state.traffickers;
    fill_buffer(trees_, 2 * n, 0.0);
    fill_buffer(slots, 2 * (sc_.offsets.size() - 1), std::uint64_t{0});
    tbb::parallel_for(std::size_t{0}, sc_.offsets.size() - 1, [&](std::size_t grp) {
      const RegionState& rs = state.regions[grp / kMethods];
      double* tree = slice(grp);
      const std::size_t size = group_size(grp);
      for (std::size_t i = 1; i <= size; ++i) {
        const auto t = static_cast<std::size_t>(sc_.ids[sc_.offsets[grp] + i - 1]);
        const std::size_t parent = i + (i & (~i + 1));
        for (const bool female : {false, true}) {
          const double weight = recruiter_weight(g, tr, rs, t, female);
          if (weight > 0) slots[2 * grp + female] += tr.capacity[t] - tr.victims[t];
          double& node = tree[2 * (i - 1) + female];
          node += weight;
          if (parent <= size) tree[2 * (parent - 1) + female] += node;
        }
      }
    });
  }
  double total(std::size_t grp, bool female) const {
    const double* tree = slice(grp);
    double sum = 0;
    for (std::size_t i = group_size(grp); i > 0; i -= i & (~i + 1)) sum += tree[2 * (i - 1) + female];
    return sum;
  }
  // The 0-based position in the group of the recruiter at `target` along
  // the running weights in the group's order: the first whose running
  // weight exceeds it (the last one with weight if rounding leaves the
  // target unreached); the group's size if none has weight.
  std::size_t pick(std::size_t grp, bool female, double target) const {
    const double* tree = slice(grp);
    const std::size_t size = group_size(grp);
    std::size_t position = 0;
    std::size_t stride = 1;
    while (stride * 2 <= size) stride *= 2;
    for (; stride > 0; stride /= 2) {
      // Each level's read waits on the last one's: the nodes the descent
      // may read three levels down are asked for now, so that the misses
      // of large groups overlap.
      if (const std::size_t eighth = stride / 8; eighth > 0)
        for (std::size_t k = 1; k < 16; k += 2)
          if (position + k * eighth <= size)
            __builtin_prefetch(&tree[2 * (position + k * eighth - 1) + female]);
      if (position + stride <= size && tree[2 * (position + stride - 1) + female] <= target) {
        position += stride;
        target -= tree[2 * (position - 1) + female];
      }
    }
    if (position < size) return position;
    for (std::size_t i = size; i > 0; --i)
      if (weight_at(grp, female, i) > 0) return i - 1;
    return size;
  }
  // The recruiter at 0-based position `at` of the group had weights `before`
  // and has `after` for a recruit of either sex (male, female): each node
  // the change reaches loses the one and gains the other, in that order,
  // in one walk.
  void replace(std::size_t grp, std::size_t at, const double (&before)[2], const double (&after)[2]) {
    double* tree = slice(grp);
    const std::size_t size = group_size(grp);
    for (std::size_t i = at + 1; i <= size; i += i & (~i + 1))
      for (const std::size_t sex : {0, 1}) {
        double& node = tree[2 * (i - 1) + sex];
        node += -before[sex];
        node += after[sex];
      }
  }

 private:
  std::size_t group_size(std::size_t grp) const { return sc_.offsets[grp + 1] - sc_.offsets[grp]; }
  double* slice(std::size_t grp) const { return trees_.data() + 2 * std::size_t{sc_.offsets[grp]}; }
  double weight_at(std::size_t grp, bool female, std::size_t i) const {
    const double* tree = slice(grp);
    double w = tree[2 * (i - 1) + female];
    for (std::size_t child = 1; child < (i & (~i + 1)); child *= 2) w -= tree[2 * (i - child - 1) + female];
    return w;
  }
  const Scratch& sc_;
  std::vector<double>& trees_;
};

// A candidate goes to a trafficker of their region using the method drawn,
// who takes them (their slot's weight leaves the trees). False if every
// slot was taken this step: the contact fails.
bool recruit(const Model& model, State& state, StepContext& ctx, RecruiterTrees& trees,
             RecruitIntent intent) {
  const ParamValues& g = model.scenario.globals;
  auto& p = state.persons;
  const std::uint32_t i = intent.person;
  const std::size_t r = p.home_region[i];
  const std::size_t grp = r * kMethods + intent.method;
  const bool female = p.flags[i] & person_flag::kFemale;
  const double total = trees.total(grp, female);
  if (!(total > 0)) return false;
  Stream ps = person_stream(model, state, Phase::Recruitment, i);
  const auto& ids = ctx.scratch.ids;
  const std::size_t at = trees.pick(grp, female, ps.uniform(person_draw::kRecruiter) * total);
  const std::int32_t chosen = at < ctx.scratch.offsets[grp + 1] - ctx.scratch.offsets[grp]
                                  ? ids[ctx.scratch.offsets[grp] + at]
                                  : kNoTrafficker;
  // Rounding in the trees may leave a trace of a full recruiter's weight.
  if (chosen == kNoTrafficker || !(recruiter_weight(g, state.traffickers, state.regions[r],
                                                    static_cast<std::size_t>(chosen), female) > 0))
    return false;
  const auto t = static_cast<std::size_t>(chosen);
  const auto weight = [&](bool sex) {
    return recruiter_weight(g, state.traffickers, state.regions[r], t, sex);
  };
  const double before[2] = {weight(false), weight(true)};
  ctx.metric(Metric::recruitments_by_method, r, intent.method) += 1;
  const bool retrafficked = p.times_trafficked[i] > 0;
  if (retrafficked) {
    ctx.metric(Metric::recruitments_retrafficked, r) += 1;
    const std::uint8_t route = p.survivor[i] & survivor_bits::kRouteMask;
    if (route != 0) ctx.metric(Metric::retrafficked_by_exit, r, route - 1u) += 1;
  }
  take_recruit(model, state, i, chosen, static_cast<Method>(intent.method), ps, person_draw::kTakeRecruit);
  trees.replace(grp, at, before, {weight(false), weight(true)});
  p.state[i] = static_cast<std::uint8_t>(PersonState::Recruited);
  p.state_since[i] = state.step;
  record_person_event(model, state, ctx, retrafficked ? EventKind::Retrafficking : EventKind::Recruitment, i);
  return true;
}

// The place of the candidate at `candidate` of the turns (agents' first,
// then the untouched ones by region from region_start).
CandidatePlace place_of(const State& state, const Scratch& sc, std::uint32_t candidate) {
  const auto& agents = sc.recruits;
  if (candidate < agents.size()) {
    const RecruitIntent intent = agents[candidate];
    const std::uint32_t r = state.persons.home_region[intent.person];
    return {r, r * static_cast<std::uint32_t>(kMethods) + intent.method,
            (state.persons.flags[intent.person] & person_flag::kFemale) != 0};
  }
  const auto& region_start = sc.offsets_by_region;
  const auto r = static_cast<std::uint32_t>(
      std::upper_bound(region_start.begin(), region_start.end(), candidate) - region_start.begin() - 1);
  const StratumRecruit& c = sc.stratum_recruits[r][candidate - region_start[r]];
  return {r, r * static_cast<std::uint32_t>(kMethods) + c.method,
          (state.strata[r][c.stratum].traits & stratum_trait::kFemale) != 0};
}

// Whether the turns can be resolved region by region with the results of
// resolving them all in order. A recruitment changes only its region's
// recruiters, people and counts; what ties the regions is the ids the
// untouched candidates take, in turn order, when they become agents, which
// they do only while a recruiter of their group has a slot for them. That
// is known before the first turn when every group with candidates has, for
// each sex, no slot with weight at all or more than its candidates: each
// recruit takes one slot, so the weight left stays at least a slot's, far
// above the trees' rounding. Not with the event log, whose order is the
// turns'.
bool regions_resolve_apart(const State& state, StepContext& ctx) {
  auto& sc = ctx.scratch;
  if (ctx.events != nullptr || state.regions.size() < 2) return false;
  const std::size_t groups = sc.offsets.size() - 1;
  std::vector<std::uint64_t>& candidates = sc.group_candidates;
  fill_buffer(candidates, groups, std::uint64_t{0});
  for (const CandidatePlace& at : sc.turn_places) ++candidates[at.group];
  for (std::size_t grp = 0; grp < groups; ++grp)
    for (const bool female : {false, true}) {
      const std::uint64_t slots = sc.recruiter_slots[2 * grp + female];
      if (slots != 0 && slots <= candidates[grp]) return false;
    }
  return true;
}

// An untouched candidate of region r becomes agent `id` and is recruited,
// or goes back to the strata at the step's end (the contact failed after all).
void recruit_untouched(const Model& model, State& state, StepContext& ctx, RecruiterTrees& trees,
                       std::size_t r, const StratumRecruit& c, std::uint32_t id,
                       std::vector<std::uint32_t>& recruited, std::vector<std::uint32_t>& returning) {
  become_agent(model, state, r, state.strata[r][c.stratum], c.vulnerability, id);
  if (recruit(model, state, ctx, trees, RecruitIntent{id, c.method}))
    recruited.push_back(id);
  else
    returning.push_back(id);
}

// The turns resolved region by region, at once: first, in turn order, the
// candidates shared out by region and the untouched ones given the ids they
// take (those with no slot for them are passed over, as in turn order);
// then each region's turns in order.
void resolve_by_region(const Model& model, State& state, StepContext& ctx, RecruiterTrees& trees) {
  auto& sc = ctx.scratch;
  const std::size_t regions = state.regions.size();
  const auto& agents = sc.recruits;
  sc.turns_by_region.resize(std::max(sc.turns_by_region.size(), regions));
  sc.recruited_by_region.resize(std::max(sc.recruited_by_region.size(), regions));
  sc.returning_by_region.resize(std::max(sc.returning_by_region.size(), regions));
  for (std::size_t r = 0; r < regions; ++r) sc.turns_by_region[r].clear();
  fill_buffer(sc.agent_ids, sc.turns.size() - agents.size(), std::uint32_t{0});
  for (std::size_t j = 0; j < sc.turns.size(); ++j) {
    const std::uint32_t candidate = sc.turns[j].second;
    const CandidatePlace at = sc.turn_places[j];
    if (candidate >= agents.size()) {
      if (sc.recruiter_slots[2 * at.group + at.female] == 0) continue;
      sc.agent_ids[candidate - agents.size()] = next_agent_id(state);
    }
    sc.turns_by_region[at.region].push_back(candidate);
  }
  tbb::parallel_for(std::size_t{0}, regions, [&](std::size_t r) {
    std::vector<std::uint32_t>& recruited = sc.recruited_by_region[r];
    std::vector<std::uint32_t>& returning = sc.returning_by_region[r];
    recruited.clear();
    returning.clear();
    for (const std::uint32_t candidate : sc.turns_by_region[r]) {
      if (candidate < agents.size()) {
        if (recruit(model, state, ctx, trees, agents[candidate]))
          recruited.push_back(agents[candidate].person);
        continue;
      }
      const std::uint32_t k = candidate - sc.offsets_by_region[r];
      recruit_untouched(model, state, ctx, trees, r, sc.stratum_recruits[r][k],
                        sc.agent_ids[candidate - agents.size()], recruited, returning);
    }
  });
  for (std::size_t r = 0; r < regions; ++r) {
    sc.new_involved.insert(sc.new_involved.end(), sc.recruited_by_region[r].begin(),
                           sc.recruited_by_region[r].end());
    sc.returning.insert(sc.returning.end(), sc.returning_by_region[r].begin(),
                        sc.returning_by_region[r].end());
  }
}

// With strata, the candidates take their turns in a random order, agents
// and untouched alike (as ids, unrelated to anything a person is, order
// them when every person is an agent): when slots run short, no kind of
// person is served first. An untouched candidate becomes an agent only if
// a recruiter has a slot. The recruits are then put in id order.
void resolve_in_turns(const Model& model, State& state, StepContext& ctx, RecruiterTrees& trees) {
  auto& sc = ctx.scratch;
  // (turn, candidate): agents' candidates by their place in the blocks'
  // lists, then the untouched ones by their place in the regions' lists.
  std::vector<std::pair<double, std::uint32_t>>& turns = sc.turns;
  turns.clear();
  std::vector<RecruitIntent>& agents = sc.recruits;
  agents.clear();
  for (const auto& block_intents : sc.block_recruits)
    for (const RecruitIntent intent : block_intents) {
      Stream ps = person_stream(model, state, Phase::Recruitment, intent.person);
      turns.emplace_back(ps.uniform(person_draw::kTurn), static_cast<std::uint32_t>(agents.size()));
      agents.push_back(intent);
    }
  std::vector<std::uint32_t>& region_start = sc.offsets_by_region;
  region_start.clear();
  for (const auto& region_candidates : sc.stratum_recruits) {
    region_start.push_back(static_cast<std::uint32_t>(turns.size()));
    for (const StratumRecruit& candidate : region_candidates)
      turns.emplace_back(candidate.turn, static_cast<std::uint32_t>(turns.size()));
  }
  // The pairs are distinct (a candidate's place is theirs), so any sort gives this order.
  tbb::parallel_sort(turns.begin(), turns.end());
  // Each turn's region, group and sex, in parallel: read before any recruit changes what they depend on.
  size_buffer(sc.turn_places, turns.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, turns.size(), 4096), [&](const auto& range) {
    for (std::size_t j = range.begin(); j != range.end(); ++j)
      sc.turn_places[j] = place_of(state, sc, turns[j].second);
  });
  if (regions_resolve_apart(state, ctx)) {
    resolve_by_region(model, state, ctx, trees);
  } else {
    for (std::size_t j = 0; j < turns.size(); ++j) {
      const std::uint32_t candidate = turns[j].second;
      if (candidate < agents.size()) {
        if (recruit(model, state, ctx, trees, agents[candidate]))
          sc.new_involved.push_back(agents[candidate].person);
        continue;
      }
      const CandidatePlace at = sc.turn_places[j];
      const StratumRecruit& c = sc.stratum_recruits[at.region][candidate - region_start[at.region]];
      if (!(trees.total(at.group, at.female) > 0)) continue;
      recruit_untouched(model, state, ctx, trees, at.region, c, next_agent_id(state), sc.new_involved,
                        sc.returning);
    }
  }
  tbb::parallel_sort(sc.new_involved.begin(), sc.new_involved.end());
}

// Every candidate is recruited or the contact fails, in id order when
// every person is an agent, so that capacity is never over-used; the
// recruits are collected in sc.new_involved, in id order.
void resolve_recruits(const Model& model, State& state, StepContext& ctx) {
  auto& sc = ctx.scratch;
  RecruiterTrees trees(sc, sc.weights_by_sex);
  trees.build(model.scenario.globals, state, sc.recruiter_slots);
  sc.new_involved.clear();
  if (model.untouched_in_strata) {
    resolve_in_turns(model, state, ctx, trees);
    return;
  }
  for (const auto& block_intents : sc.block_recruits)
    for (const RecruitIntent intent : block_intents)
      if (recruit(model, state, ctx, trees, intent)) sc.new_involved.push_back(intent.person);
}

}  // namespace

void run_recruitment(const Model& model, State& state, StepContext& ctx) {
  group_recruiters(state, ctx);
  const ContactRates rates = contact_rates(model, state, ctx.scratch);
  find_candidates(model, state, ctx.scratch, rates);
  if (model.untouched_in_strata) find_stratum_candidates(model, state, ctx.scratch, rates);
  resolve_recruits(model, state, ctx);
  join_involved(state, ctx.scratch.new_involved, ctx.scratch.merged);
}

}  // namespace tipsim

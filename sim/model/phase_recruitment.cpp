// Phase 4: recruitment, in gather form. Each region's active traffickers with
// spare capacity exert a contact pressure per method; every free person
// faces a hazard from it, shaped by their vulnerability, awareness and
// history. Candidates are found in parallel; who recruits whom is resolved
// serially in person-id order, so capacity is never over-used and the
// result does not depend on threads.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "events.hpp"
#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "sampling.hpp"

namespace tipsim {

namespace {

// Draws of a person's recruitment stream, one index each. (The block
// streams' draws belong to for_each_sampled.)
namespace person_draw {
constexpr std::uint32_t kAccepted = 0;  // a visited candidate is kept with h / h_max
constexpr std::uint32_t kMethod = 1;
constexpr std::uint32_t kRecruiter = 2;
constexpr std::uint32_t kTakeRecruit = 3;  // and 4: take_recruit
}  // namespace person_draw

// Active traffickers with spare capacity, grouped by (region, method).
void group_recruiters(const State& state, StepContext& ctx) {
  auto& sc = ctx.scratch;
  const auto& tr = state.traffickers;
  const std::size_t groups = state.regions.size() * kMethods;
  sc.offsets.assign(groups + 1, 0);
  auto group_of = [&](std::size_t t) { return tr.base_region[t] * kMethods + tr.method[t]; };
  // Families holding people by descent recruit no one: the children of
  // those they hold are born to them (demography).
  auto recruiting = [&](std::size_t t) {
    return tr.state[t] == static_cast<std::uint8_t>(TraffickerState::Active) && tr.by_descent[t] == 0 &&
           tr.victims[t] < tr.capacity[t];
  };
  for (std::size_t t = 0; t < tr.size(); ++t)
    if (recruiting(t)) ++sc.offsets[group_of(t) + 1];
  for (std::size_t g = 0; g < groups; ++g) sc.offsets[g + 1] += sc.offsets[g];
  sc.ids.resize(sc.offsets[groups]);
  sc.new_involved.assign(sc.offsets.begin(), sc.offsets.end() - 1);  // fill cursors
  for (std::size_t t = 0; t < tr.size(); ++t)
    if (recruiting(t)) sc.ids[sc.new_involved[group_of(t)]++] = static_cast<std::int32_t>(t);
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

// A visited free person faces the pressure of each method, shaped by their
// susceptibility and awareness; kept with h / bound, with a method drawn in
// proportion to the pressures.
void consider_candidate(const Model& model, const State& state, std::uint32_t i, const double* rate,
                        double bound, const double (&shield)[kMethods], std::vector<RecruitIntent>& out) {
  if (state.persons.state[i] != static_cast<std::uint8_t>(PersonState::Free)) return;
  const double base = susceptibility(model, state, i);
  const double awareness = awareness_now(model, state, i);
  double pressure[kMethods], total = 0;
  for (std::size_t k = 0; k < kMethods; ++k) {
    pressure[k] = rate[k] * base * (1.0 - awareness * shield[k]);
    total += pressure[k];
  }
  Stream ps = person_stream(model, state, Phase::Recruitment, i);
  if (!ps.bernoulli(person_draw::kAccepted, -std::expm1(-total) / bound)) return;
  out.push_back(RecruitIntent{
      i, static_cast<std::uint8_t>(pick_weighted(pressure, kMethods, ps.uniform(person_draw::kMethod)))});
}

// Candidates, in parallel over blocks of persons. The bound h_max lets the
// pass skip over most people; a visited person is accepted with h / h_max.
void find_candidates(const Model& model, const State& state, Scratch& sc, const ContactRates& rates) {
  const ParamValues& g = model.scenario.globals;
  double shield[kMethods];
  for (std::size_t k = 0; k < kMethods; ++k) shield[k] = awareness_shield(g, static_cast<Method>(k));
  sc.block_recruits.resize(model.blocks.size());
  tbb::parallel_for(std::size_t{0}, model.blocks.size(), [&](std::size_t b) {
    const PersonBlock block = model.blocks[b];
    std::vector<RecruitIntent>& out = sc.block_recruits[b];
    out.clear();
    const double bound = rates.upper_bound[block.region];
    if (!(bound > 0)) return;
    const double* rate = &rates.rate[block.region * kMethods];
    Stream stream = block_stream(model, state, Phase::Recruitment, static_cast<std::uint32_t>(b));
    for_each_sampled(stream, block.begin, block.end, bound,
                     [&](std::uint32_t i) { consider_candidate(model, state, i, rate, bound, shield, out); });
  });
}

// How much trafficker t wants a recruit of region rs: spare capacity, unmet
// demand and the market's affinity for the person.
double recruiter_weight(const ParamValues& g, const Traffickers& tr, const RegionState& rs, std::size_t t,
                        bool female) {
  return (tr.capacity[t] - tr.victims[t]) * rs.market_pull[tr.market[t]] *
         market_affinity(g, static_cast<Market>(tr.market[t]), female);
}

// The trafficker of group grp at `target` along the running weights (the
// last one with weight if the target is not reached).
std::int32_t pick_recruiter(const ParamValues& g, const State& state, const Scratch& sc, std::size_t grp,
                            const RegionState& rs, bool female, double target) {
  double running = 0;
  std::int32_t chosen = kNoTrafficker;
  for (std::uint32_t x = sc.offsets[grp]; x < sc.offsets[grp + 1]; ++x) {
    const double weight =
        recruiter_weight(g, state.traffickers, rs, static_cast<std::size_t>(sc.ids[x]), female);
    if (weight <= 0) continue;
    chosen = sc.ids[x];
    running += weight;
    if (target < running) break;
  }
  return chosen;
}

// A candidate goes to a trafficker of their region using the method drawn,
// who takes them. False if every slot was taken this step: the contact
// fails.
bool recruit(const Model& model, State& state, StepContext& ctx, RecruitIntent intent) {
  const ParamValues& g = model.scenario.globals;
  auto& p = state.persons;
  const std::uint32_t i = intent.person;
  const std::size_t r = p.home_region[i];
  const RegionState& rs = state.regions[r];
  const std::size_t grp = r * kMethods + intent.method;
  const bool female = p.flags[i] & person_flag::kFemale;
  double total = 0;
  for (std::uint32_t x = ctx.scratch.offsets[grp]; x < ctx.scratch.offsets[grp + 1]; ++x)
    total += recruiter_weight(g, state.traffickers, rs, static_cast<std::size_t>(ctx.scratch.ids[x]), female);
  if (!(total > 0)) return false;
  Stream ps = person_stream(model, state, Phase::Recruitment, i);
  const std::int32_t chosen =
      pick_recruiter(g, state, ctx.scratch, grp, rs, female, ps.uniform(person_draw::kRecruiter) * total);
  ctx.metric(Metric::recruitments_by_method, r, intent.method) += 1;
  const bool retrafficked = p.times_trafficked[i] > 0;
  if (retrafficked) {
    ctx.metric(Metric::recruitments_retrafficked, r) += 1;
    const std::uint8_t route = p.survivor[i] & survivor_bits::kRouteMask;
    if (route != 0) ctx.metric(Metric::retrafficked_by_exit, r, route - 1u) += 1;
  }
  take_recruit(model, state, i, chosen, static_cast<Method>(intent.method), ps, person_draw::kTakeRecruit);
  p.state[i] = static_cast<std::uint8_t>(PersonState::Recruited);
  p.state_since[i] = state.step;
  record_person_event(model, state, ctx, retrafficked ? EventKind::Retrafficking : EventKind::Recruitment, i);
  return true;
}

// Resolution in id order, so that capacity is never over-used: each
// candidate is recruited or the contact fails; the recruits are collected
// in sc.new_involved.
void resolve_recruits(const Model& model, State& state, StepContext& ctx) {
  auto& sc = ctx.scratch;
  sc.new_involved.clear();
  for (const auto& block_intents : sc.block_recruits)
    for (const RecruitIntent intent : block_intents)
      if (recruit(model, state, ctx, intent)) sc.new_involved.push_back(intent.person);
}

// New recruits join the sorted involved list.
void join_involved(State& state, Scratch& sc) {
  if (sc.new_involved.empty()) return;
  sc.merged.resize(state.involved.size() + sc.new_involved.size());
  std::merge(state.involved.begin(), state.involved.end(), sc.new_involved.begin(), sc.new_involved.end(),
             sc.merged.begin());
  state.involved.swap(sc.merged);
}

}  // namespace

void run_recruitment(const Model& model, State& state, StepContext& ctx) {
  group_recruiters(state, ctx);
  const ContactRates rates = contact_rates(model, state, ctx.scratch);
  find_candidates(model, state, ctx.scratch, rates);
  resolve_recruits(model, state, ctx);
  join_involved(state, ctx.scratch);
}

}  // namespace tipsim

// Phase 8: prosecution. Each region investigates up to its capacity of
// active traffickers, chosen at random in proportion to the evidence
// against them plus a base visibility (weighted sampling without
// replacement). Investigators find a share of the investigated traffickers'
// victims, whose identification and cooperation add evidence. Investigations
// then become prosecutions and convictions with probabilities that grow with
// evidence (shared intelligence multiplies it) and shrink with corruption.
// The convicted go to prison and their remaining victims are freed and
// identified; convictions feed the region's perceived risk.
#include <algorithm>
#include <array>
#include <cmath>

#include "events.hpp"
#include "model_math.hpp"
#include "observation.hpp"
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

namespace {

// Draws of a region's prosecution stream.
namespace region_draw {
constexpr std::uint32_t kCapacityRounding = 0;  // a fractional investigation happens or not
}  // namespace region_draw

// Draws of a trafficker's prosecution stream, one index each.
namespace trafficker_draw {
constexpr std::uint32_t kSamplingKey = 0;  // weighted choice of whom to investigate
constexpr std::uint32_t kProsecuted = 1;
constexpr std::uint32_t kConvicted = 2;
constexpr std::uint32_t kSentenceRounding = 3;
}  // namespace trafficker_draw

// Draws of a person's prosecution stream. A victim found by investigators
// leaves their controller, so the two handle_identified ranges (three
// draws each) never serve the same person in a step; they are kept apart anyway.
namespace person_draw {
constexpr std::uint32_t kFound = 0;
constexpr std::uint32_t kFoundIdentified = 1;  // to 3: handle_identified
constexpr std::uint32_t kFreedIdentified = 4;  // to 6: handle_identified
}  // namespace person_draw

// Per-region tallies; regions are at most 256 (uint8 indices).
using ActiveCounts = std::array<std::uint32_t, 256>;
using Convictions = std::array<double, 256>;

// Evidence fades: witnesses move on, records go stale.
void decay_evidence(const Model& model, State& state) {
  const float evidence_keep = static_cast<float>(
      std::exp(-model.scenario.globals[Param::prosecution_evidence_decay_per_year] * model.step_years));
  for (float& e : state.traffickers.evidence) e *= evidence_keep;
}

// How many investigations region r opens this step: its investigators'
// capacity, a fractional one happening at random.
std::size_t investigation_capacity(const Model& model, const State& state, std::uint32_t r) {
  const ParamValues& g = model.scenario.globals;
  const ParamValues& lv = state.regions[r].levers;
  Stream region = region_stream(model, state, Phase::Prosecution, r);
  const double expected = lv[Param::policy_prosecution_investigators_per_100k] * model.regions[r].population /
                          1e5 * g[Param::prosecution_investigations_per_investigator_per_year] *
                          model.step_years;
  const double whole = std::floor(expected);
  return static_cast<std::size_t>(whole) +
         (region.uniform(region_draw::kCapacityRounding) < expected - whole ? 1 : 0);
}

// Region r's active traffickers to investigate, appended to `investigated`:
// a weighted sample without replacement by evidence plus a base visibility
// (Efraimidis-Spirakis keys: the `capacity` largest log(u)/weight; ties
// broken by id). Counts the region's active traffickers too.
void choose_in_region(const Model& model, const State& state, Scratch& sc, std::uint32_t r,
                      std::uint32_t& active, std::vector<std::int32_t>& investigated) {
  const ParamValues& g = model.scenario.globals;
  const auto& tr = state.traffickers;
  const double base_visibility = g[Param::prosecution_base_visibility];
  const double labour_visibility = g[Param::prosecution_labour_visibility];
  const std::size_t capacity = investigation_capacity(model, state, r);
  sc.keys.clear();
  for (std::size_t t = 0; t < tr.size(); ++t) {
    if (tr.base_region[t] != r || tr.state[t] != static_cast<std::uint8_t>(TraffickerState::Active)) continue;
    ++active;
    if (capacity == 0) continue;
    double weight = tr.evidence[t] + base_visibility;
    if (static_cast<Market>(tr.market[t]) != Market::Sexual) weight *= labour_visibility;
    if (!(weight > 0)) continue;
    Stream stream = trafficker_stream(model, state, Phase::Prosecution, static_cast<std::uint32_t>(t));
    sc.keys.emplace_back(std::log(stream.uniform(trafficker_draw::kSamplingKey)) / weight,
                         static_cast<std::int32_t>(t));
  }
  const std::size_t chosen = std::min(capacity, sc.keys.size());
  std::partial_sort(sc.keys.begin(), sc.keys.begin() + static_cast<std::ptrdiff_t>(chosen), sc.keys.end(),
                    [](const auto& a, const auto& b) {
                      return a.first > b.first || (a.first == b.first && a.second < b.second);
                    });
  for (std::size_t x = 0; x < chosen; ++x) investigated.push_back(sc.keys[x].second);
}

// 1. Whom each region investigates: sorted ids in sc.ids, marked in
// sc.decision; each region's active traffickers counted on the way.
void choose_investigations(const Model& model, const State& state, Scratch& sc, ActiveCounts& active) {
  std::vector<std::int32_t>& investigated = sc.ids;
  investigated.clear();
  for (std::uint32_t r = 0; r < state.regions.size(); ++r)
    choose_in_region(model, state, sc, r, active[r], investigated);
  std::sort(investigated.begin(), investigated.end());
  sc.decision.assign(state.traffickers.size(), 0);  // 1 = under investigation this step
  for (const std::int32_t t : investigated) sc.decision[static_cast<std::size_t>(t)] = 1;
}

// 2. Investigators find victims of the traffickers they investigate; the
// victims' testimony (more of it from victims who are sheltered) is the
// evidence the case is built on.
void find_victims(const Model& model, State& state, StepContext& ctx) {
  const auto& p = state.persons;
  const double victims_found = model.scenario.globals[Param::prosecution_victims_found_share];
  for (const std::uint32_t i : state.involved) {
    const std::int32_t c = p.controller[i];
    if (c == kNoTrafficker || ctx.scratch.decision[static_cast<std::size_t>(c)] == 0) continue;
    Stream stream = person_stream(model, state, Phase::Prosecution, i);
    if (!stream.bernoulli(person_draw::kFound, victims_found)) continue;
    handle_identified(model, state, ctx, i, Channel::Investigation, stream, person_draw::kFoundIdentified);
  }
}

// A convicted trafficker goes to prison for the region's sentence, in whole
// steps rounded at random so that its mean is the sentence in years.
void incarcerate(const Model& model, State& state, std::int32_t id) {
  auto& tr = state.traffickers;
  const auto t = static_cast<std::size_t>(id);
  const ParamValues& lv = state.regions[tr.base_region[t]].levers;
  tr.state[t] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
  Stream stream = trafficker_stream(model, state, Phase::Prosecution, static_cast<std::uint32_t>(t));
  tr.sentence_remaining[t] =
      std::max(1, whole_steps(lv[Param::policy_prosecution_sentence_years] / model.step_years,
                              stream.uniform(trafficker_draw::kSentenceRounding)));
  tr.evidence[t] = 0.0f;
  state.newly_incarcerated.push_back(id);
}

// One investigation: prosecuted, then convicted, each more likely with the
// evidence (shared intelligence multiplies it) and less with corruption.
// True if convicted.
bool try_case(const Model& model, State& state, StepContext& ctx, std::int32_t id) {
  const ParamValues& g = model.scenario.globals;
  const auto& tr = state.traffickers;
  const double evidence_half = g[Param::prosecution_evidence_half];
  const double prosecute_base = g[Param::prosecution_prosecution_base];
  const double convict_base = g[Param::prosecution_conviction_base];
  const auto t = static_cast<std::size_t>(id);
  const std::size_t r = tr.base_region[t];
  const ParamValues& lv = state.regions[r].levers;
  const double corruption = lv[Param::institutions_corruption];
  const double boost = 1.0 + g[Param::prosecution_partnership_boost] * lv[Param::policy_partnership_level];
  const std::size_t case_type = case_type_of(static_cast<Market>(tr.market[t]));
  record_case(ctx, r, CaseStage::Investigation, case_type);
  record_trafficker_event(model, state, ctx, EventKind::Investigation, t);
  const double evidence = tr.evidence[t] * boost;
  const double strength = evidence / (evidence + evidence_half);
  Stream stream = trafficker_stream(model, state, Phase::Prosecution, static_cast<std::uint32_t>(t));
  if (!stream.bernoulli(trafficker_draw::kProsecuted,
                        (prosecute_base + (1.0 - prosecute_base) * strength) * (1.0 - corruption)))
    return false;
  record_case(ctx, r, CaseStage::Prosecution, case_type);
  record_trafficker_event(model, state, ctx, EventKind::Prosecution, t);
  // Court costs, in real USD (the agent stands for population.scale cases),
  // come on top of the levers' cost, except in budget mode, where the
  // prosecution budget pays for the courts too.
  if (g[Param::budget_total_usd_per_year] <= 0)
    ctx.metric(Metric::spending, r, static_cast<std::size_t>(Pillar::Prosecution)) +=
        g[Param::cost_prosecution_usd] * lv[Param::cost_price_level] * model.population_scale;
  if (!stream.bernoulli(trafficker_draw::kConvicted,
                        (convict_base + (1.0 - convict_base) * strength) * (1.0 - corruption)))
    return false;
  record_case(ctx, r, CaseStage::Conviction, case_type);
  record_trafficker_event(model, state, ctx, EventKind::Conviction, t);
  return true;
}

// 3. Prosecution and conviction of the investigated, in id order; the
// convictions counted by region. True if anyone was convicted.
bool prosecute(const Model& model, State& state, StepContext& ctx, Convictions& convictions) {
  bool any_convicted = false;
  for (const std::int32_t id : ctx.scratch.ids) {
    if (!try_case(model, state, ctx, id)) continue;
    convictions[state.traffickers.base_region[static_cast<std::size_t>(id)]] += 1;
    incarcerate(model, state, id);
    any_convicted = true;
  }
  return any_convicted;
}

// Perceived risk: exponentially weighted memory of convictions per active
// trafficker per year.
void update_perceived_risk(const Model& model, State& state, const ActiveCounts& active,
                           const Convictions& convictions) {
  const double dt = model.step_years;
  const double memory = 1.0 - std::exp(-dt / model.scenario.globals[Param::prosecution_risk_memory_years]);
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    const double rate = active[r] > 0 ? convictions[r] / active[r] / dt : 0.0;
    state.regions[r].perceived_risk += memory * (rate - state.regions[r].perceived_risk);
  }
}

// 4. The remaining victims of the convicted are freed and identified.
void free_victims_of_convicted(const Model& model, State& state, StepContext& ctx) {
  const auto& p = state.persons;
  const auto& tr = state.traffickers;
  for (const std::uint32_t i : state.involved) {
    const std::int32_t c = p.controller[i];
    if (c == kNoTrafficker ||
        tr.state[static_cast<std::size_t>(c)] != static_cast<std::uint8_t>(TraffickerState::Incarcerated))
      continue;
    Stream stream = person_stream(model, state, Phase::Prosecution, i);
    handle_identified(model, state, ctx, i, Channel::Investigation, stream, person_draw::kFreedIdentified);
  }
}

}  // namespace

void run_prosecution(const Model& model, State& state, StepContext& ctx) {
  ActiveCounts active{};
  Convictions convictions{};
  decay_evidence(model, state);
  choose_investigations(model, state, ctx.scratch, active);
  find_victims(model, state, ctx);
  const bool any_convicted = prosecute(model, state, ctx, convictions);
  update_perceived_risk(model, state, active, convictions);
  if (any_convicted) free_victims_of_convicted(model, state, ctx);
}

}  // namespace tipsim

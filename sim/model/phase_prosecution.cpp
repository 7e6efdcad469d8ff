// Phase 8: prosecution. Each region investigates up to its capacity of
// active traffickers, chosen at random in proportion to the evidence
// against them plus a base visibility (weighted sampling without
// replacement). Investigators find a share of the investigated traffickers'
// victims, whose identification and cooperation add evidence. Investigations
// then become prosecutions and convictions with probabilities that grow with
// evidence (shared intelligence multiplies it) and shrink with corruption.
// The convicted go to prison and their remaining victims are freed and
// identified; convictions feed the perceived risk of their market in their
// region.
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

// Per-region and market tallies; regions are at most 256 (uint8 indices).
using ActiveCounts = std::array<std::array<std::uint32_t, kMarkets>, 256>;
using ExpectedConvictions = std::array<std::array<double, kMarkets>, 256>;

// Evidence fades: witnesses move on, records go stale.
void decay_evidence(const Model& model, State& state) {
  const float evidence_keep = static_cast<float>(
      std::exp(-model.scenario.globals[Param::prosecution_evidence_decay_per_year] * model.step_years));
  for (float& e : state.traffickers.evidence) e *= evidence_keep;
}

// How many investigations region r can open this step: its investigators'
// capacity, in expectation.
double expected_capacity(const Model& model, const State& state, std::uint32_t r) {
  const ParamValues& lv = state.regions[r].levers;
  return lv[Param::policy_prosecution_investigators_per_100k] * model.regions[r].population / 1e5 *
         model.scenario.globals[Param::prosecution_investigations_per_investigator_per_year] *
         model.step_years;
}

// The whole number of investigations region r opens: a fractional one
// happens at random.
std::size_t investigation_capacity(const Model& model, const State& state, std::uint32_t r) {
  Stream region = region_stream(model, state, Phase::Prosecution, r);
  const double expected = expected_capacity(model, state, r);
  const double whole = std::floor(expected);
  return static_cast<std::size_t>(whole) +
         (region.uniform(region_draw::kCapacityRounding) < expected - whole ? 1 : 0);
}

// The probabilities that an investigation of trafficker t becomes a
// prosecution, and a prosecution a conviction: more likely with the
// evidence (shared intelligence multiplies it), less with corruption.
struct CaseOdds {
  double prosecuted;
  double convicted;
};
CaseOdds case_odds(const Model& model, const State& state, std::size_t t) {
  const ParamValues& g = model.scenario.globals;
  const ParamValues& lv = state.regions[state.traffickers.base_region[t]].levers;
  const double corruption = lv[Param::institutions_corruption];
  const double boost = 1.0 + g[Param::prosecution_partnership_boost] * lv[Param::policy_partnership_level];
  const double evidence = state.traffickers.evidence[t] * boost;
  const double strength = evidence / (evidence + g[Param::prosecution_evidence_half]);
  const double prosecute_base = g[Param::prosecution_prosecution_base];
  const double convict_base = g[Param::prosecution_conviction_base];
  return {(prosecute_base + (1.0 - prosecute_base) * strength) * (1.0 - corruption),
          (convict_base + (1.0 - convict_base) * strength) * (1.0 - corruption)};
}

// The weight of an active trafficker in the choice of whom to investigate.
double investigation_weight(const ParamValues& g, const Traffickers& tr, std::size_t t) {
  double weight = tr.evidence[t] + g[Param::prosecution_base_visibility];
  if (static_cast<Market>(tr.market[t]) != Market::Sexual) weight *= g[Param::prosecution_labour_visibility];
  return weight;
}

// Region r's active traffickers to investigate, appended to `investigated`:
// a weighted sample without replacement by evidence plus a base visibility
// (Efraimidis-Spirakis keys: the `capacity` largest log(u)/weight; ties
// broken by id). Counts the region's active traffickers by market, and the
// convictions to expect in each market from the region's enforcement: each
// trafficker's chance of being investigated (capacity x weight / total
// weight, at most 1) times their odds of conviction.
void choose_in_region(const Model& model, const State& state, Scratch& sc, std::uint32_t r,
                      std::array<std::uint32_t, kMarkets>& active, std::array<double, kMarkets>& expected,
                      std::vector<std::int32_t>& investigated) {
  const ParamValues& g = model.scenario.globals;
  const auto& tr = state.traffickers;
  const std::size_t capacity = investigation_capacity(model, state, r);
  const double capacity_expected = expected_capacity(model, state, r);
  sc.keys.clear();
  double total_weight = 0;
  for (std::size_t t = 0; t < tr.size(); ++t) {
    if (tr.base_region[t] != r || tr.state[t] != static_cast<std::uint8_t>(TraffickerState::Active)) continue;
    ++active[tr.market[t]];
    const double weight = investigation_weight(g, tr, t);
    if (!(weight > 0)) continue;
    total_weight += weight;
    if (capacity == 0) continue;
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
  if (!(total_weight > 0)) return;
  for (std::size_t t = 0; t < tr.size(); ++t) {
    if (tr.base_region[t] != r || tr.state[t] != static_cast<std::uint8_t>(TraffickerState::Active)) continue;
    const double included = std::min(1.0, capacity_expected * investigation_weight(g, tr, t) / total_weight);
    const CaseOdds odds = case_odds(model, state, t);
    expected[tr.market[t]] += included * odds.prosecuted * odds.convicted;
  }
}

// 1. Whom each region investigates: sorted ids in sc.ids, marked in
// sc.decision; each region's active traffickers and expected convictions by
// market counted on the way.
void choose_investigations(const Model& model, const State& state, Scratch& sc, ActiveCounts& active,
                           ExpectedConvictions& expected) {
  std::vector<std::int32_t>& investigated = sc.ids;
  investigated.clear();
  for (std::uint32_t r = 0; r < state.regions.size(); ++r)
    choose_in_region(model, state, sc, r, active[r], expected[r], investigated);
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
  const auto t = static_cast<std::size_t>(id);
  const std::size_t r = tr.base_region[t];
  const ParamValues& lv = state.regions[r].levers;
  const std::size_t case_type = case_type_of(static_cast<Market>(tr.market[t]));
  record_case(ctx, r, CaseStage::Investigation, case_type);
  record_trafficker_event(model, state, ctx, EventKind::Investigation, t);
  const CaseOdds odds = case_odds(model, state, t);
  Stream stream = trafficker_stream(model, state, Phase::Prosecution, static_cast<std::uint32_t>(t));
  if (!stream.bernoulli(trafficker_draw::kProsecuted, odds.prosecuted)) return false;
  record_case(ctx, r, CaseStage::Prosecution, case_type);
  record_trafficker_event(model, state, ctx, EventKind::Prosecution, t);
  // Court costs, in real USD (the agent stands for population.scale cases),
  // come on top of the levers' cost, except in budget mode, where the
  // prosecution budget pays for the courts too.
  if (g[Param::budget_total_usd_per_year] <= 0)
    ctx.metric(Metric::spending, r, static_cast<std::size_t>(Pillar::Prosecution)) +=
        g[Param::cost_prosecution_usd] * lv[Param::cost_price_level] * model.population_scale;
  if (!stream.bernoulli(trafficker_draw::kConvicted, odds.convicted)) return false;
  record_case(ctx, r, CaseStage::Conviction, case_type);
  record_trafficker_event(model, state, ctx, EventKind::Conviction, t);
  return true;
}

// 3. Prosecution and conviction of the investigated, in id order. True if
// anyone was convicted.
bool prosecute(const Model& model, State& state, StepContext& ctx) {
  bool any_convicted = false;
  for (const std::int32_t id : ctx.scratch.ids) {
    if (!try_case(model, state, ctx, id)) continue;
    incarcerate(model, state, id);
    any_convicted = true;
  }
  return any_convicted;
}

// Perceived risk, by region and market: exponentially weighted memory of the
// convictions the market's traffickers can expect per active one per year.
// Expected, not counted: what traffickers read is the enforcement they see
// working, and a realised count would make deterrence, which is not
// linear in the risk, depend on how many people an agent stands for.
void update_perceived_risk(const Model& model, State& state, const ActiveCounts& active,
                           const ExpectedConvictions& convictions) {
  const double dt = model.step_years;
  const double memory = 1.0 - std::exp(-dt / model.scenario.globals[Param::prosecution_risk_memory_years]);
  for (std::size_t r = 0; r < state.regions.size(); ++r)
    for (std::size_t m = 0; m < kMarkets; ++m) {
      const double rate = active[r][m] > 0 ? convictions[r][m] / active[r][m] / dt : 0.0;
      state.regions[r].perceived_risk[m] += memory * (rate - state.regions[r].perceived_risk[m]);
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
  ExpectedConvictions expected{};
  decay_evidence(model, state);
  choose_investigations(model, state, ctx.scratch, active, expected);
  find_victims(model, state, ctx);
  const bool any_convicted = prosecute(model, state, ctx);
  update_perceived_risk(model, state, active, expected);
  if (any_convicted) free_victims_of_convicted(model, state, ctx);
}

}  // namespace tipsim

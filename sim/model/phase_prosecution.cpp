// Phase 8: prosecution. Each region investigates up to its capacity of
// suspects, chosen at random in proportion to the leads against them: the
// evidence against active traffickers plus a base visibility (proactive
// work), and the leads that false identifications gave against people who
// are not traffickers. Investigators find a share of an investigated
// trafficker's victims, whose identification and cooperation add evidence.
// An investigation becomes a charge with a probability that grows with the
// evidence (shared intelligence multiplies it), unless the trafficker buys
// the case off; some charged traffickers are held in custody (their
// victims freed), the others go on operating. Charged cases wait for trial
// in the region's courts, which hear a limited number a year, oldest first,
// once a case is prepared; meanwhile its evidence fades as witnesses
// withdraw. At trial the defendant is convicted with a probability that
// grows with the evidence left, unless they buy an acquittal, and the
// convicted go to prison, their remaining victims freed and identified.
// The convictions each market's traffickers can expect feed the risk they
// perceive in their region.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <span>

#include "events.hpp"
#include "involved.hpp"
#include "model_math.hpp"
#include "observation.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "sampling.hpp"
#include "scratch_buffer.hpp"

namespace tipsim {

namespace {

// Draws of a region's prosecution stream: two per investigation of someone
// who is not a trafficker from kWrongfulCase, one per verdict on them from
// kWrongfulVerdict (at most a court's hearings in a step).
namespace region_draw {
constexpr std::uint32_t kCapacityRounding = 0;  // a fractional investigation happens or not
constexpr std::uint32_t kPreparation = 2;       // the whole steps this step's charges take to prepare
constexpr std::uint32_t kLeadsRounding = 3;     // a fractional lead can be followed or not
constexpr std::uint32_t kWrongfulSlots = 4;     // to 1 << 20: which investigations follow wrong leads
constexpr std::uint32_t kWrongfulCase = 1u << 20;
constexpr std::uint32_t kWrongfulVerdict = 1u << 28;
}  // namespace region_draw

// Draws of a trafficker's prosecution stream, one index each.
namespace trafficker_draw {
constexpr std::uint32_t kSamplingKey = 0;  // weighted choice of whom to investigate
constexpr std::uint32_t kCharged = 1;
constexpr std::uint32_t kConvicted = 2;
constexpr std::uint32_t kSentenceRounding = 3;
constexpr std::uint32_t kDroppedForBribe = 4;
constexpr std::uint32_t kDetained = 5;
constexpr std::uint32_t kAcquittalBought = 6;
}  // namespace trafficker_draw

// Draws of a person's prosecution stream. A victim found by investigators
// leaves their controller, so the two handle_identified ranges (three
// draws each) never serve the same person in a step; they are kept apart anyway.
namespace person_draw {
constexpr std::uint32_t kFound = 0;
constexpr std::uint32_t kFoundIdentified = 1;  // to 3: handle_identified
constexpr std::uint32_t kFreedIdentified = 4;  // to 6: handle_identified
}  // namespace person_draw

// sentence_remaining of a trafficker held in custody until their verdict.
constexpr std::int32_t kAwaitingVerdict = std::numeric_limits<std::int32_t>::max();

// Per-region and market tallies; regions are at most 256 (uint8 indices).
using ActiveCounts = std::array<std::array<std::uint32_t, kMarkets>, 256>;
using ExpectedConvictions = std::array<std::array<double, kMarkets>, 256>;
using WrongfulInvestigations = std::array<std::uint32_t, 256>;

bool is_active(const Traffickers& tr, std::size_t t) {
  return tr.state[t] == static_cast<std::uint8_t>(TraffickerState::Active);
}
bool awaits_verdict(const Traffickers& tr, std::size_t t) { return tr.charged_step[t] >= 0; }
// The investigation weight of a trafficker awaiting a verdict: none, and
// no expected conviction either (NaN, unlike a weight of zero).
constexpr double kNoWeight = std::numeric_limits<double>::quiet_NaN();

// Evidence fades: witnesses move on, records go stale; the leads against
// people who are not traffickers go stale alike. A charged case loses its
// witnesses faster while it waits for trial.
void decay_evidence(const Model& model, State& state) {
  const ParamValues& g = model.scenario.globals;
  const double dt = model.step_years;
  const double keep = std::exp(-g[Param::prosecution_evidence_decay_per_year] * dt);
  const auto keep_charged =
      static_cast<float>(keep * std::exp(-g[Param::prosecution_witness_withdrawal_per_year] * dt));
  auto& tr = state.traffickers;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, tr.in_trade.size(), 4096), [&](const auto& range) {
    for (std::size_t x = range.begin(); x != range.end(); ++x) {
      const auto t = static_cast<std::size_t>(tr.in_trade[x]);
      tr.evidence[t] *= awaits_verdict(tr, t) ? keep_charged : static_cast<float>(keep);
    }
  });
  for (RegionState& rs : state.regions)
    for (double& leads : rs.suspects) leads *= keep;
}

// How many investigations region r can open this step: its investigators'
// capacity, in expectation.
double expected_capacity(const Model& model, const State& state, std::uint32_t r) {
  const ParamValues& lv = state.regions[r].levers;
  return lv[Param::policy_prosecution_investigators_per_100k] * model.regions[r].population / 1e5 *
         model.scenario.globals[Param::prosecution_investigations_per_investigator_per_year] *
         model.step_years;
}

// The weight of a lead of a case type in the choice of whom to investigate:
// labour cases are less visible.
double case_type_visibility(const ParamValues& g, std::size_t case_type) {
  return case_type == case_type_of(Market::Sexual) ? 1.0 : g[Param::prosecution_labour_visibility];
}

// The weight of an active trafficker in the choice of whom to investigate.
double investigation_weight(const ParamValues& g, const Traffickers& tr, std::size_t t) {
  return (tr.evidence[t] + g[Param::prosecution_base_visibility]) *
         case_type_visibility(g, case_type_of(static_cast<Market>(tr.market[t])));
}

// The weight of region r's leads against people who are not traffickers:
// each weighs as much as a victim's identification.
double suspects_weight(const ParamValues& g, const RegionState& rs) {
  double weight = 0;
  for (std::size_t k = 0; k < kCaseTypes; ++k)
    weight += rs.suspects[k] * g[Param::prosecution_evidence_per_identification] * case_type_visibility(g, k);
  return weight;
}

// A trafficker can buy their way out when they have earned the bribe; the
// official takes it with the region's corruption.
bool can_pay_bribe(const Model& model, const State& state, std::size_t t) {
  const ParamValues& lv = state.regions[state.traffickers.base_region[t]].levers;
  return state.traffickers.profit[t] >=
         model.scenario.globals[Param::institutions_bribe_usd] * lv[Param::cost_price_level];
}

// The probabilities that the case against trafficker t ends in a charge,
// and a charge in a conviction, at the evidence held now, if not bought
// off: from a base, half-way to 1 at evidence_half (shared intelligence
// multiplies the evidence).
struct CaseOdds {
  double charged;
  double convicted;
};
CaseOdds evidence_odds(const Model& model, const State& state, std::size_t t) {
  const ParamValues& g = model.scenario.globals;
  const ParamValues& lv = state.regions[state.traffickers.base_region[t]].levers;
  const double boost = 1.0 + g[Param::prosecution_partnership_boost] * lv[Param::policy_partnership_level];
  const double evidence = state.traffickers.evidence[t] * boost;
  const double strength = evidence / (evidence + g[Param::prosecution_evidence_half]);
  const double charge_base = g[Param::prosecution_prosecution_base];
  const double convict_base = g[Param::prosecution_conviction_base];
  return {charge_base + (1.0 - charge_base) * strength, convict_base + (1.0 - convict_base) * strength};
}

// The same, counting the chance that a trafficker who can pay buys off the
// case at each of the two points.
CaseOdds case_odds(const Model& model, const State& state, std::size_t t) {
  const ParamValues& lv = state.regions[state.traffickers.base_region[t]].levers;
  const double not_bought = can_pay_bribe(model, state, t) ? 1.0 - lv[Param::institutions_corruption] : 1.0;
  const CaseOdds odds = evidence_odds(model, state, t);
  return {not_bought * odds.charged, not_bought * odds.convicted};
}

// An active trafficker's draw for the weighted sample of whom to
// investigate (Efraimidis-Spirakis keys, sampling.hpp).
double sampling_draw(const Model& model, const State& state, std::int32_t t) {
  return trafficker_stream(model, state, Phase::Prosecution, static_cast<std::uint32_t>(t))
      .uniform(trafficker_draw::kSamplingKey);
}

// Region r's suspects to investigate: how many of its investigations follow
// leads against people who are not traffickers (returned; each of its
// investigations does with the leads' share of the total weight), and the
// active traffickers it investigates, appended to `investigated` (a weighted
// sample without replacement by evidence plus a base visibility:
// Efraimidis-Spirakis keys, the largest log(u)/weight; ties broken by id).
// Counts the region's active traffickers by market, and the convictions to
// expect in each market from the region's enforcement: each trafficker's
// chance of being investigated (capacity x weight / total weight, at most
// 1) times their odds of charge and conviction.
std::uint32_t choose_in_region(const Model& model, const State& state, Scratch& sc, std::uint32_t r,
                               std::span<const std::int32_t> based_here,
                               std::array<std::uint32_t, kMarkets>& active,
                               std::array<double, kMarkets>& expected,
                               std::vector<std::int32_t>& investigated) {
  const ParamValues& g = model.scenario.globals;
  const auto& tr = state.traffickers;
  const RegionState& rs = state.regions[r];
  Stream region = region_stream(model, state, Phase::Prosecution, r);
  const double capacity_expected = expected_capacity(model, state, r);
  const std::size_t capacity =
      stochastic_round(capacity_expected, region.uniform(region_draw::kCapacityRounding));
  // Each trafficker's weight and market, in parallel (NaN: awaiting a
  // verdict); the sums follow in id order, as one pass would make them,
  // reading the markets in order rather than each trafficker's at random.
  std::vector<double>& weights = sc.suspect_weights;
  std::vector<std::uint8_t>& markets = sc.suspect_markets;
  size_buffer(weights, based_here.size());
  size_buffer(markets, based_here.size());
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, based_here.size(), 4096), [&](const auto& range) {
    for (std::size_t x = range.begin(); x != range.end(); ++x) {
      const auto t = static_cast<std::size_t>(based_here[x]);
      weights[x] = awaits_verdict(tr, t) ? kNoWeight : investigation_weight(g, tr, t);
      markets[x] = tr.market[t];
    }
  });
  double traffickers_weight = 0;
  std::size_t with_weight = 0;
  for (std::size_t x = 0; x < based_here.size(); ++x) {
    ++active[markets[x]];
    // A trafficker awaiting a verdict (NaN) is not investigated again.
    const double weight = weights[x];
    if (!(weight > 0)) continue;
    traffickers_weight += weight;
    ++with_weight;
  }
  // Wrong leads take their share of the investigations, no more than there are leads.
  const double leads_weight = suspects_weight(g, rs);
  const double total_weight = traffickers_weight + leads_weight;
  const double wrong_share = total_weight > 0 ? leads_weight / total_weight : 0.0;
  std::uint32_t wrongful = 0;
  for (std::size_t k = 0; k < capacity && wrong_share > 0; ++k)
    wrongful +=
        region.bernoulli(region_draw::kWrongfulSlots + static_cast<std::uint32_t>(k), wrong_share) ? 1 : 0;
  double leads = 0;
  for (const double l : rs.suspects) leads += l;
  wrongful = std::min(wrongful, static_cast<std::uint32_t>(
                                    stochastic_round(leads, region.uniform(region_draw::kLeadsRounding))));
  const std::size_t chosen = std::min(capacity - wrongful, with_weight);
  largest_sampling_keys(
      based_here.size(), chosen, [&](std::size_t x) { return weights[x]; },
      [&](std::size_t x) { return sampling_draw(model, state, based_here[x]); },
      [&](std::size_t x) { return based_here[x]; }, sc.sampling_keys);
  for (std::size_t x = 0; x < chosen; ++x) investigated.push_back(sc.sampling_keys.keys[x].second);
  if (!(traffickers_weight > 0)) return wrongful;
  // The investigations left to traffickers, spread by weight among them:
  // each one's expected convictions in parallel, summed in id order.
  const double for_traffickers = capacity_expected * (1.0 - wrong_share);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, based_here.size(), 4096), [&](const auto& range) {
    for (std::size_t x = range.begin(); x != range.end(); ++x) {
      if (std::isnan(weights[x])) continue;
      const auto t = static_cast<std::size_t>(based_here[x]);
      const double included = std::min(1.0, for_traffickers * weights[x] / traffickers_weight);
      const CaseOdds odds = case_odds(model, state, t);
      weights[x] = included * odds.charged * odds.convicted;
    }
  });
  for (std::size_t x = 0; x < based_here.size(); ++x)
    if (!std::isnan(weights[x])) expected[markets[x]] += weights[x];
  return wrongful;
}

// 1. Whom each region investigates: traffickers as sorted ids in sc.ids,
// and how many people who are not traffickers; each
// region's active traffickers and expected convictions by market counted on
// the way.
void choose_investigations(const Model& model, const State& state, Scratch& sc, ActiveCounts& active,
                           ExpectedConvictions& expected, WrongfulInvestigations& wrongful) {
  // The active traffickers of each region, in id order.
  const auto& tr = state.traffickers;
  const std::size_t regions = state.regions.size();
  tr.group_in_trade(
      regions, [&](std::size_t t) { return is_active(tr, t); },
      [&](std::size_t t) { return tr.base_region[t]; }, sc.offsets_by_region, sc.by_region, sc.new_involved);
  std::vector<std::int32_t>& investigated = sc.ids;
  investigated.clear();
  for (std::uint32_t r = 0; r < regions; ++r) {
    const std::span<const std::int32_t> based_here(sc.by_region.data() + sc.offsets_by_region[r],
                                                   sc.offsets_by_region[r + 1] - sc.offsets_by_region[r]);
    wrongful[r] = choose_in_region(model, state, sc, r, based_here, active[r], expected[r], investigated);
  }
  std::sort(investigated.begin(), investigated.end());
}

// 2. Investigators find victims of the traffickers they investigate; the
// victims' testimony (more of it from victims who are sheltered) is the
// evidence the case is built on.
void find_victims(const Model& model, State& state, StepContext& ctx) {
  const auto& p = state.persons;
  const double victims_found = model.scenario.globals[Param::prosecution_victims_found_share];
  TraffickerSet investigated(ctx.scratch.trafficker_bits);
  investigated.assign_ids(state.traffickers.size(), ctx.scratch.ids);
  for_each_involved_where(
      state, ctx.scratch.marks,
      [&](std::uint32_t i) {
        return investigated.contains(p.controller[i]) && person_stream(model, state, Phase::Prosecution, i)
                                                             .bernoulli(person_draw::kFound, victims_found);
      },
      [&](std::uint32_t i) {
        Stream stream = person_stream(model, state, Phase::Prosecution, i);
        handle_identified(model, state, ctx, i, Channel::Investigation, stream,
                          person_draw::kFoundIdentified);
      });
}

// The first step at which region r's cases charged this step can be heard:
// the preparation time in whole steps, rounded at random once for all of
// them, so that its mean in days is the same at any step length and the
// queue stays in the order of readiness.
std::int32_t ready_step(const Model& model, const State& state, std::size_t r) {
  const double steps = model.scenario.globals[Param::prosecution_trial_preparation_years] / model.step_years;
  Stream region = region_stream(model, state, Phase::Prosecution, static_cast<std::uint32_t>(r));
  return state.step + whole_steps(steps, region.uniform(region_draw::kPreparation));
}

// Trafficker t pays the bribe from their profit (the agent stands for
// population.scale traffickers, each paying it).
void pay_bribe(const Model& model, State& state, StepContext& ctx, std::size_t t) {
  auto& tr = state.traffickers;
  const double bribe = model.scenario.globals[Param::institutions_bribe_usd] *
                       state.regions[tr.base_region[t]].levers[Param::cost_price_level];
  tr.profit[t] -= bribe;
  ctx.metric(Metric::bribes_paid, tr.base_region[t]) += bribe * model.population_scale;
  ctx.metric(Metric::cases_bought_off, tr.base_region[t], case_type_of(static_cast<Market>(tr.market[t]))) +=
      1;
  record_trafficker_event(model, state, ctx, EventKind::Bribe, t);
}

// A trafficker bought off the official at `draw` when they can pay and the
// official takes it.
bool buys_way_out(const Model& model, State& state, StepContext& ctx, std::size_t t, Stream& stream,
                  std::uint32_t draw) {
  if (!can_pay_bribe(model, state, t)) return false;
  const double corruption =
      state.regions[state.traffickers.base_region[t]].levers[Param::institutions_corruption];
  if (!stream.bernoulli(draw, corruption)) return false;
  pay_bribe(model, state, ctx, t);
  return true;
}

// Court costs of a charged case, in real USD (the agent stands for
// population.scale cases), come on top of the levers' cost, except in
// budget mode, where the prosecution budget pays for the cases too.
void pay_for_case(const Model& model, const State& state, StepContext& ctx, std::size_t region) {
  const ParamValues& g = model.scenario.globals;
  if (g[Param::budget_total_usd_per_year] > 0) return;
  ctx.metric(Metric::spending, region, static_cast<std::size_t>(Pillar::Prosecution)) +=
      g[Param::cost_prosecution_usd] * state.regions[region].levers[Param::cost_price_level] *
      model.population_scale;
}

// An investigation of trafficker t: charged with the odds its evidence
// gives, unless bought off; a charged trafficker joins the court's queue,
// held in custody (their victims will be freed) or left to operate.
void investigate_trafficker(const Model& model, State& state, StepContext& ctx, std::int32_t id) {
  auto& tr = state.traffickers;
  const auto t = static_cast<std::size_t>(id);
  const std::size_t r = tr.base_region[t];
  const auto case_type = static_cast<std::uint8_t>(case_type_of(static_cast<Market>(tr.market[t])));
  record_case(ctx, r, CaseStage::Investigation, case_type);
  record_trafficker_event(model, state, ctx, EventKind::Investigation, t);
  Stream stream = trafficker_stream(model, state, Phase::Prosecution, static_cast<std::uint32_t>(t));
  if (buys_way_out(model, state, ctx, t, stream, trafficker_draw::kDroppedForBribe)) return;
  if (!stream.bernoulli(trafficker_draw::kCharged, evidence_odds(model, state, t).charged)) return;
  record_case(ctx, r, CaseStage::Prosecution, case_type);
  record_trafficker_event(model, state, ctx, EventKind::Prosecution, t);
  pay_for_case(model, state, ctx, r);
  tr.charged_step[t] = state.step;
  state.regions[r].court_queue.push_back(CourtCase{id, state.step, ready_step(model, state, r), case_type});
  if (stream.bernoulli(trafficker_draw::kDetained,
                       model.scenario.globals[Param::prosecution_pretrial_detention_share])) {
    tr.state[t] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
    tr.sentence_remaining[t] = kAwaitingVerdict;
    state.newly_incarcerated.push_back(id);
  }
}

// Region r's investigations of people who are not traffickers: each follows
// a lead of a case type in proportion to the leads' weights, which it uses
// up, and rarely ends in a charge.
void investigate_wrong_leads(const Model& model, State& state, StepContext& ctx, std::uint32_t r,
                             std::uint32_t count) {
  const ParamValues& g = model.scenario.globals;
  RegionState& rs = state.regions[r];
  Stream region = region_stream(model, state, Phase::Prosecution, r);
  for (std::uint32_t k = 0; k < count; ++k) {
    const double sexual = rs.suspects[0] * case_type_visibility(g, 0);
    const double all = sexual + rs.suspects[1] * case_type_visibility(g, 1);
    const std::uint32_t draw = region_draw::kWrongfulCase + 2 * k;
    const auto case_type = static_cast<std::uint8_t>(region.uniform(draw) * all < sexual ? 0 : 1);
    rs.suspects[case_type] = std::max(0.0, rs.suspects[case_type] - 1.0);
    record_case(ctx, r, CaseStage::Investigation, case_type);
    ctx.metric(Metric::wrongful_investigations, r) += 1;
    if (!region.bernoulli(draw + 1, g[Param::prosecution_wrongful_prosecution])) continue;
    record_case(ctx, r, CaseStage::Prosecution, case_type);
    ctx.metric(Metric::wrongful_prosecutions, r) += 1;
    pay_for_case(model, state, ctx, r);
    rs.court_queue.push_back(CourtCase{kNoTrafficker, state.step, ready_step(model, state, r), case_type});
  }
}

// 3. Investigations, in id order, then each region's wrong leads.
void investigate(const Model& model, State& state, StepContext& ctx, const WrongfulInvestigations& wrongful) {
  for (const std::int32_t id : ctx.scratch.ids) investigate_trafficker(model, state, ctx, id);
  for (std::uint32_t r = 0; r < state.regions.size(); ++r)
    if (wrongful[r] > 0) investigate_wrong_leads(model, state, ctx, r, wrongful[r]);
}

// A convicted trafficker goes to prison for the region's sentence, in whole
// steps rounded at random so that its mean is the sentence in years; time
// held in custody before the verdict counts.
void incarcerate(const Model& model, State& state, std::int32_t id, std::int32_t steps_held) {
  auto& tr = state.traffickers;
  const auto t = static_cast<std::size_t>(id);
  const ParamValues& lv = state.regions[tr.base_region[t]].levers;
  const bool newly = tr.state[t] != static_cast<std::uint8_t>(TraffickerState::Incarcerated);
  tr.state[t] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
  Stream stream = trafficker_stream(model, state, Phase::Prosecution, static_cast<std::uint32_t>(t));
  const std::int32_t sentence = whole_steps(lv[Param::policy_prosecution_sentence_years] / model.step_years,
                                            stream.uniform(trafficker_draw::kSentenceRounding));
  tr.sentence_remaining[t] = std::max(1, sentence - steps_held);
  tr.evidence[t] = 0.0f;
  if (newly) state.newly_incarcerated.push_back(id);
}

// The verdict on trafficker t's case, charged `waited` steps ago: convicted
// with the odds of the evidence left, unless they buy an acquittal. An
// acquitted trafficker held in custody walks free.
void try_trafficker(const Model& model, State& state, StepContext& ctx, const CourtCase& c,
                    std::int32_t waited) {
  auto& tr = state.traffickers;
  const auto t = static_cast<std::size_t>(c.trafficker);
  const std::size_t r = tr.base_region[t];
  const bool held = tr.state[t] == static_cast<std::uint8_t>(TraffickerState::Incarcerated);
  tr.charged_step[t] = -1;
  Stream stream = trafficker_stream(model, state, Phase::Prosecution, static_cast<std::uint32_t>(t));
  if (!buys_way_out(model, state, ctx, t, stream, trafficker_draw::kAcquittalBought) &&
      stream.bernoulli(trafficker_draw::kConvicted, evidence_odds(model, state, t).convicted)) {
    record_case(ctx, r, CaseStage::Conviction, c.case_type);
    record_trafficker_event(model, state, ctx, EventKind::Conviction, t);
    incarcerate(model, state, c.trafficker, held ? waited : 0);
    return;
  }
  record_case(ctx, r, CaseStage::Acquittal, c.case_type);
  record_trafficker_event(model, state, ctx, EventKind::Acquittal, t);
  if (held) {
    tr.state[t] = static_cast<std::uint8_t>(TraffickerState::Active);
    tr.sentence_remaining[t] = 0;
  }
}

// 4. Each region's courts hear the cases that are ready, oldest first, as
// far as their court time goes.
void hold_trials(const Model& model, State& state, StepContext& ctx) {
  const ParamValues& g = model.scenario.globals;
  for (std::uint32_t r = 0; r < state.regions.size(); ++r) {
    RegionState& rs = state.regions[r];
    Stream region = region_stream(model, state, Phase::Prosecution, r);
    const double hearings = rs.levers[Param::policy_prosecution_trials_per_100k_per_year] *
                            model.regions[r].population / 1e5 * model.step_years;
    // Court time builds up while cases wait, but idle courts bank no more
    // than one step's hearings (or one hearing): so a case is heard as soon
    // as it is ready when the courts keep up, and the queue drains at their
    // rate when they do not, whatever the number of people an agent is.
    rs.court_time = std::min(rs.court_time + hearings, std::max(1.0, hearings));
    std::uint32_t next_draw = region_draw::kWrongfulVerdict;
    while (rs.court_time >= 1.0 && !rs.court_queue.empty()) {
      const CourtCase c = rs.court_queue.front();
      if (c.ready_step > state.step) break;
      const std::int32_t waited = state.step - c.charged_step;
      rs.court_queue.pop_front();
      rs.court_time -= 1.0;
      record_verdict_wait(ctx, r, static_cast<double>(waited) * model.step_years);
      if (c.trafficker != kNoTrafficker) {
        try_trafficker(model, state, ctx, c, waited);
        continue;
      }
      if (region.bernoulli(next_draw++, g[Param::prosecution_wrongful_conviction])) {
        record_case(ctx, r, CaseStage::Conviction, c.case_type);
        ctx.metric(Metric::wrongful_convictions, r) += 1;
      } else {
        record_case(ctx, r, CaseStage::Acquittal, c.case_type);
      }
    }
  }
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

// 5. The remaining victims of traffickers taken into custody or convicted
// are freed and identified.
void free_victims_of_incarcerated(const Model& model, State& state, StepContext& ctx) {
  const auto& p = state.persons;
  const auto& tr = state.traffickers;
  TraffickerSet incarcerated(ctx.scratch.trafficker_bits);
  incarcerated.assign(tr.size(), [&](std::size_t t) {
    return tr.state[t] == static_cast<std::uint8_t>(TraffickerState::Incarcerated);
  });
  for_each_involved_where(
      state, ctx.scratch.marks, [&](std::uint32_t i) { return incarcerated.contains(p.controller[i]); },
      [&](std::uint32_t i) {
        Stream stream = person_stream(model, state, Phase::Prosecution, i);
        handle_identified(model, state, ctx, i, Channel::Investigation, stream,
                          person_draw::kFreedIdentified);
      });
}

// 6. What the courts know of their backlog: the cases waiting, by case type.
void count_backlog(const State& state, StepContext& ctx) {
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    std::array<double, kCaseTypes> waiting{};
    for (const CourtCase& c : state.regions[r].court_queue) waiting[c.case_type] += 1;
    for (std::size_t k = 0; k < kCaseTypes; ++k) record_backlog(ctx, r, k, waiting[k]);
  }
}

}  // namespace

void run_prosecution(const Model& model, State& state, StepContext& ctx) {
  ActiveCounts active{};
  ExpectedConvictions expected{};
  WrongfulInvestigations wrongful{};
  decay_evidence(model, state);
  choose_investigations(model, state, ctx.scratch, active, expected, wrongful);
  find_victims(model, state, ctx);
  const std::size_t incarcerated_before = state.newly_incarcerated.size();
  investigate(model, state, ctx, wrongful);
  hold_trials(model, state, ctx);
  update_perceived_risk(model, state, active, expected);
  if (state.newly_incarcerated.size() > incarcerated_before) free_victims_of_incarcerated(model, state, ctx);
  count_backlog(state, ctx);
  // After the market's desistance and the courts' verdicts: whoever desisted
  // with no case left pending is out of the trade for good.
  state.traffickers.drop_desisted(ctx.scratch.by_region, ctx.scratch.offsets_by_region,
                                  ctx.scratch.new_involved);
}

}  // namespace tipsim

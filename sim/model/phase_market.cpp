// Phase 3: the market and the trafficker population. Demand and expected
// profit drive entry; perceived risk drives desistance; networks replace
// incarcerated members while demand remains; released traffickers return.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "events.hpp"
#include "involved.hpp"
#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"
#include "scratch_buffer.hpp"

namespace tipsim {

void update_market_signals(const Model& model, State& state) {
  const ParamValues& g = model.scenario.globals;
  const std::size_t regions = state.regions.size();
  double unmet[256][kMarkets];
  double density[256][kMarkets];
  for (std::size_t j = 0; j < regions; ++j) {
    RegionState& rs = state.regions[j];
    for (std::size_t m = 0; m < kMarkets; ++m) {
      density[j][m] = effective_demand_per_100k(rs.levers, g, static_cast<Market>(m));
      rs.market_demand[m] = density[j][m] * model.regions[j].population / 1e5;
      unmet[j][m] =
          rs.market_demand[m] > 0 ? std::max(0.0, 1.0 - rs.market_victims[m] / rs.market_demand[m]) : 0.0;
    }
  }
  for (std::size_t r = 0; r < regions; ++r) {
    RegionState& rs = state.regions[r];
    const double* row = &model.route_cumulative[r * regions];
    double attractiveness = 0, attractiveness_unmet = 0;
    for (std::size_t m = 0; m < kMarkets; ++m) {
      // Traffickers based here weigh each market by the risk they see in it.
      const double deterred = deterrence(g, rs.perceived_risk[m]);
      double pull = 0, dens = 0;
      for (std::size_t j = 0; j < regions; ++j) {
        const double p = row[j] - (j > 0 ? row[j - 1] : 0.0);
        pull += p * unmet[j][m];
        dens += p * density[j][m];
        // Victims earn at the destination's prices, for the demand still
        // unmet there.
        const double value =
            p * market_profit(state.regions[j].levers, static_cast<Market>(m)) * density[j][m];
        attractiveness += value * unmet[j][m] * deterred;
        attractiveness_unmet += value;
      }
      rs.market_pull[m] = pull;
      rs.market_density[m] = dens;
    }
    rs.attractiveness = attractiveness;
    rs.attractiveness_unmet = attractiveness_unmet;
  }
}

namespace {

// Draws of a trafficker's market stream, one index each. A prisoner whose
// sentence ends uses kRecidivism; an active trafficker kDesistance; one
// convicted in the last step kReplacement and kReplacementCapacity.
namespace trafficker_draw {
constexpr std::uint32_t kRecidivism = 0;
constexpr std::uint32_t kDesistance = 1;
constexpr std::uint32_t kReplacement = 2;
constexpr std::uint32_t kReplacementCapacity = 3;  // and 4: a Poisson may take two draws
}  // namespace trafficker_draw

// Draws of a region's market stream: how many enter, then a block of
// kPerEntrant draws for each entrant from kFirstEntrant on (its first
// newcomer_draw::kCount are draw_newcomer's).
namespace region_draw {
constexpr std::uint32_t kEntering = 0;  // and 1: a Poisson may take two draws
constexpr std::uint32_t kFirstEntrant = 4;
constexpr std::uint32_t kPerEntrant = 8;
static_assert(kPerEntrant >= newcomer_draw::kCount);
}  // namespace region_draw

// Groups the active traffickers by base region into scratch (CSR).
void group_active_by_region(const State& state, StepContext& ctx) {
  const auto& tr = state.traffickers;
  tr.group_in_trade(
      state.regions.size(),
      [&](std::size_t t) { return tr.state[t] == static_cast<std::uint8_t>(TraffickerState::Active); },
      [&](std::size_t t) { return tr.base_region[t]; }, ctx.scratch.offsets, ctx.scratch.ids,
      ctx.scratch.new_involved);
}

// A trafficker leaves the trade (for good, unless a case already charged
// sends them to prison).
void desist(const Model& model, State& state, StepContext& ctx, std::size_t t) {
  state.traffickers.state[t] = static_cast<std::uint8_t>(TraffickerState::Desisted);
  ctx.metric(Metric::traffickers_desisting, state.traffickers.base_region[t]) += 1;
  record_trafficker_event(model, state, ctx, EventKind::TraffickerDesistance, t);
}

// A prisoner whose sentence ends returns to the trade or desists.
void serve_sentence(const Model& model, State& state, StepContext& ctx, std::size_t t, Stream& stream) {
  auto& tr = state.traffickers;
  if (--tr.sentence_remaining[t] > 0) return;
  ctx.metric(Metric::traffickers_released, tr.base_region[t]) += 1;
  record_trafficker_event(model, state, ctx, EventKind::TraffickerRelease, t);
  if (stream.bernoulli(trafficker_draw::kRecidivism, model.scenario.get(Param::traffickers_recidivism))) {
    tr.state[t] = static_cast<std::uint8_t>(TraffickerState::Active);
  } else {
    desist(model, state, ctx, t);
  }
}

// Prisoners serve their sentences; active traffickers desist with their
// perceived risk. True if anyone active desisted (their victims go free).
bool release_and_desist(const Model& model, State& state, StepContext& ctx) {
  const Scenario& s = model.scenario;
  const double dt = model.step_years;
  auto& tr = state.traffickers;
  const double desistance = s.get(Param::traffickers_desistance_per_year);
  const double risk_desistance = s.get(Param::traffickers_risk_desistance);
  const double evidence_half = s.get(Param::prosecution_evidence_half);
  bool any_desisted = false;

  // Whether each active trafficker desists, in parallel: a trafficker's
  // risk and draw are their own. Prisoners are marked to serve their step.
  enum : std::uint8_t { kStays = 0, kDesists = 1, kServes = 2 };
  std::vector<std::uint8_t>& marks = ctx.scratch.desists;
  fill_buffer(marks, tr.in_trade.size(), std::uint8_t{kStays});
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, tr.in_trade.size(), 4096), [&](const auto& range) {
    for (std::size_t k = range.begin(); k != range.end(); ++k) {
      const auto t = static_cast<std::size_t>(tr.in_trade[k]);
      if (tr.state[t] == static_cast<std::uint8_t>(TraffickerState::Incarcerated)) marks[k] = kServes;
      if (tr.state[t] != static_cast<std::uint8_t>(TraffickerState::Active)) continue;
      // A trafficker with evidence against them feels more at risk than
      // their market's average in the region.
      tr.perceived_risk[t] =
          static_cast<float>(state.regions[tr.base_region[t]].perceived_risk[tr.market[t]] *
                             (1.0 + tr.evidence[t] / evidence_half));
      Stream stream = trafficker_stream(model, state, Phase::Market, static_cast<std::uint32_t>(t));
      const double hazard = desistance + risk_desistance * tr.perceived_risk[t];
      // The step's probability 1 - exp(-hazard dt) lies below hazard dt: a draw above that bound
      // stays, and only the few below it need the exponential.
      const double u = stream.uniform(trafficker_draw::kDesistance);
      if (u < hazard * dt * (1.0 + 1e-9) && u < step_probability(hazard, dt)) marks[k] = kDesists;
    }
  });
  // Sentences served and desistance, in id order (the metrics and the event log).
  for_each_marked(marks, [&](std::size_t k) {
    const auto t = static_cast<std::size_t>(tr.in_trade[k]);
    if (marks[k] == kServes) {
      Stream stream = trafficker_stream(model, state, Phase::Market, static_cast<std::uint32_t>(t));
      serve_sentence(model, state, ctx, t, stream);
    } else {
      desist(model, state, ctx, t);
      any_desisted = true;
    }
  });
  return any_desisted;
}

// Networks replace members taken by the last step's convictions, in
// proportion to the demand still unmet (the hydra effect).
void replace_convicted(const Model& model, State& state, StepContext& ctx) {
  const Scenario& s = model.scenario;
  auto& tr = state.traffickers;
  const double replacement = s.get(Param::traffickers_network_replacement);
  const double capacity_mean = s.get(Param::traffickers_capacity_mean);
  for (const std::int32_t t : state.newly_incarcerated) {
    Stream stream = trafficker_stream(model, state, Phase::Market, static_cast<std::uint32_t>(t));
    const std::size_t r = tr.base_region[t];
    // entry_per_100k = 0 means no newcomers at all, replacements included.
    if (state.regions[r].levers[Param::traffickers_entry_per_100k] <= 0) continue;
    const double p = replacement * state.regions[r].market_pull[tr.market[t]];
    if (!stream.bernoulli(trafficker_draw::kReplacement, p)) continue;
    const std::int32_t newcomer = tr.add(
        static_cast<std::uint8_t>(r), static_cast<Method>(tr.method[t]), static_cast<Market>(tr.market[t]),
        tr.network[t], draw_capacity(stream, trafficker_draw::kReplacementCapacity, capacity_mean));
    ctx.metric(Metric::traffickers_entering, r) += 1;
    ctx.metric(Metric::traffickers_replacing, r) += 1;
    record_trafficker_event(model, state, ctx, EventKind::TraffickerReplacement,
                            static_cast<std::size_t>(newcomer));
  }
  state.newly_incarcerated.clear();
}

// One new entrant in region r: market and method by the region's weights,
// an existing network joined or a new one founded. `first` is the first
// draw of the entrant's block.
void admit_entrant(const Model& model, State& state, StepContext& ctx, std::uint32_t r, Stream& stream,
                   std::uint32_t first, const EntryWeights& weights) {
  auto& tr = state.traffickers;
  const Newcomer n =
      draw_newcomer(stream, first, weights, model.scenario.get(Param::traffickers_network_join_share),
                    model.scenario.get(Param::traffickers_capacity_mean));
  // A newcomer who joins a network joins an active member's.
  const std::uint32_t group_begin = ctx.scratch.offsets[r],
                      group_size = ctx.scratch.offsets[r + 1] - group_begin;
  std::int32_t network;
  if (group_size > 0 && n.joins_network) {
    const auto member =
        ctx.scratch.ids[group_begin + static_cast<std::uint32_t>(n.network_pick * group_size)];
    network = tr.network[static_cast<std::size_t>(member)];
  } else {
    network = state.networks++;
  }
  const std::int32_t newcomer = tr.add(static_cast<std::uint8_t>(r), n.method, n.market, network, n.capacity);
  ctx.metric(Metric::traffickers_entering, r) += 1;
  record_trafficker_event(model, state, ctx, EventKind::TraffickerEntry, static_cast<std::size_t>(newcomer));
}

// New entrants in every region, relative to how well crime would pay in an
// empty market without risk.
void admit_entrants(const Model& model, State& state, StepContext& ctx) {
  const double dt = model.step_years;
  for (std::uint32_t r = 0; r < state.regions.size(); ++r) {
    const RegionState& rs = state.regions[r];
    const ParamValues& lv = rs.levers;
    if (rs.attractiveness_reference <= 0) continue;
    const double expected = lv[Param::traffickers_entry_per_100k] * model.regions[r].population / 1e5 * dt *
                            (rs.attractiveness / rs.attractiveness_reference);
    Stream stream = region_stream(model, state, Phase::Market, r);
    const std::uint64_t entering = stream.poisson(region_draw::kEntering, expected);
    const EntryWeights weights = entry_weights(model.scenario.globals, rs);
    std::uint32_t first = region_draw::kFirstEntrant;
    for (std::uint64_t e = 0; e < entering; ++e, first += region_draw::kPerEntrant)
      admit_entrant(model, state, ctx, r, stream, first, weights);
  }
}

// Victims of traffickers who left the trade are let go.
void release_victims_of_desisted(const Model& model, State& state, StepContext& ctx) {
  auto& p = state.persons;
  auto& tr = state.traffickers;
  const double unserved = model.scenario.get(Param::protection_unserved_vulnerability_increase);
  TraffickerSet desisted(ctx.scratch.trafficker_bits);
  desisted.assign(tr.size(), [&](std::size_t t) {
    return tr.state[t] == static_cast<std::uint8_t>(TraffickerState::Desisted);
  });
  for_each_involved_where(
      state, ctx.scratch.marks, [&](std::uint32_t i) { return desisted.contains(p.controller[i]); },
      [&](std::uint32_t i) {
        ctx.metric(Metric::releases, p.current_region[i]) += 1;
        record_person_event(model, state, ctx, EventKind::Release, i);
        free_from_trafficking(state, i, ExitRoute::Released);
        raise_vulnerability(state, i, unserved);
      });
}

// Each region's count of active traffickers, after the changes above.
void count_active(State& state) {
  const auto& tr = state.traffickers;
  const std::size_t regions = state.regions.size();
  const std::vector<std::uint32_t> active = tr.count_in_trade(regions, [&](std::size_t t) -> std::size_t {
    return tr.state[t] == static_cast<std::uint8_t>(TraffickerState::Active) ? tr.base_region[t] : regions;
  });
  for (std::size_t r = 0; r < regions; ++r) state.regions[r].traffickers_active = active[r];
}

}  // namespace

void run_market(const Model& model, State& state, StepContext& ctx) {
  update_market_signals(model, state);
  group_active_by_region(state, ctx);
  const bool any_desisted = release_and_desist(model, state, ctx);
  replace_convicted(model, state, ctx);
  admit_entrants(model, state, ctx);
  if (any_desisted) release_victims_of_desisted(model, state, ctx);
  count_active(state);
}

}  // namespace tipsim

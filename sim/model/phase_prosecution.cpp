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
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

void run_prosecution(const Model& model, State& state, StepContext& ctx) {
  const Scenario& s = model.scenario;
  const ParamValues& g = s.globals;
  const double dt = model.step_years;
  auto& tr = state.traffickers;
  auto& sc = ctx.scratch;

  const float evidence_keep =
      static_cast<float>(std::exp(-g[Param::prosecution_evidence_decay_per_year] * dt));
  for (float& e : tr.evidence) e *= evidence_keep;

  const double base_visibility = g[Param::prosecution_base_visibility];
  const double labour_visibility = g[Param::prosecution_labour_visibility];
  const double evidence_half = g[Param::prosecution_evidence_half];
  const double prosecute_base = g[Param::prosecution_prosecution_base];
  const double convict_base = g[Param::prosecution_conviction_base];
  const double investigations_per_investigator =
      g[Param::prosecution_investigations_per_investigator_per_year];
  const double victims_found = g[Param::prosecution_victims_found_share];
  const double memory = 1.0 - std::exp(-dt / g[Param::prosecution_risk_memory_years]);
  const std::size_t regions = state.regions.size();

  // 1. Whom each region investigates.
  std::vector<std::int32_t>& investigated = sc.ids;
  investigated.clear();
  std::array<std::uint32_t, 256> active{};
  for (std::uint32_t r = 0; r < regions; ++r) {
    RegionState& rs = state.regions[r];
    const ParamValues& lv = rs.levers;
    Stream region = region_stream(model, state, Phase::Prosecution, r);
    const double expected = lv[Param::policy_prosecution_investigators_per_100k] *
                            model.regions[r].population / 1e5 * investigations_per_investigator * dt;
    const double whole = std::floor(expected);
    const auto capacity = static_cast<std::size_t>(whole) + (region.uniform(0) < expected - whole ? 1 : 0);

    // Efraimidis-Spirakis keys: the `capacity` largest log(u)/weight are a
    // weighted sample without replacement; ties broken by id.
    sc.keys.clear();
    for (std::size_t t = 0; t < tr.size(); ++t) {
      if (tr.base_region[t] != r || tr.state[t] != static_cast<std::uint8_t>(TraffickerState::Active))
        continue;
      ++active[r];
      if (capacity == 0) continue;
      double weight = tr.evidence[t] + base_visibility;
      if (static_cast<Market>(tr.market[t]) != Market::Sexual) weight *= labour_visibility;
      if (!(weight > 0)) continue;
      Stream stream = trafficker_stream(model, state, Phase::Prosecution, static_cast<std::uint32_t>(t));
      sc.keys.emplace_back(std::log(stream.uniform(0)) / weight, static_cast<std::int32_t>(t));
    }
    const std::size_t chosen = std::min(capacity, sc.keys.size());
    std::partial_sort(sc.keys.begin(), sc.keys.begin() + static_cast<std::ptrdiff_t>(chosen), sc.keys.end(),
                      [](const auto& a, const auto& b) {
                        return a.first > b.first || (a.first == b.first && a.second < b.second);
                      });
    for (std::size_t x = 0; x < chosen; ++x) investigated.push_back(sc.keys[x].second);
  }
  std::sort(investigated.begin(), investigated.end());
  sc.decision.assign(tr.size(), 0);  // 1 = under investigation this step
  for (const std::int32_t t : investigated) sc.decision[static_cast<std::size_t>(t)] = 1;

  // 2. Investigators find victims of the traffickers they investigate; the
  // victims' testimony (more of it from victims who are sheltered) is the
  // evidence the case is built on.
  auto& p = state.persons;
  for (const std::uint32_t i : state.involved) {
    const std::int32_t c = p.controller[i];
    if (c == kNoTrafficker || sc.decision[static_cast<std::size_t>(c)] == 0) continue;
    Stream stream = person_stream(model, state, Phase::Prosecution, i);
    if (!stream.bernoulli(0, victims_found)) continue;
    handle_identified(model, state, ctx, i, Channel::Investigation, stream, 1);
  }

  // 3. Prosecution and conviction, in id order.
  std::array<double, 256> convictions{};
  bool any_convicted = false;
  for (const std::int32_t id : investigated) {
    const auto t = static_cast<std::size_t>(id);
    const std::size_t r = tr.base_region[t];
    const ParamValues& lv = state.regions[r].levers;
    const double corruption = lv[Param::institutions_corruption];
    const double boost = 1.0 + g[Param::prosecution_partnership_boost] * lv[Param::policy_partnership_level];
    const std::size_t case_type = case_type_of(static_cast<Market>(tr.market[t]));
    ctx.metric(Metric::investigations, r, case_type) += 1;
    record_trafficker_event(model, state, ctx, EventKind::Investigation, t);
    const double evidence = tr.evidence[t] * boost;
    const double strength = evidence / (evidence + evidence_half);
    Stream stream = trafficker_stream(model, state, Phase::Prosecution, static_cast<std::uint32_t>(t));
    if (!stream.bernoulli(1, (prosecute_base + (1.0 - prosecute_base) * strength) * (1.0 - corruption)))
      continue;
    ctx.metric(Metric::prosecutions, r, case_type) += 1;
    record_trafficker_event(model, state, ctx, EventKind::Prosecution, t);
    // Court costs come on top of the levers' cost, except in budget mode,
    // where the budget is all there is.
    if (g[Param::budget_total_usd_per_year] <= 0)
      ctx.metric(Metric::spending, r, static_cast<std::size_t>(Pillar::Prosecution)) +=
          g[Param::cost_prosecution_usd];
    if (!stream.bernoulli(2, (convict_base + (1.0 - convict_base) * strength) * (1.0 - corruption))) continue;
    ctx.metric(Metric::convictions, r, case_type) += 1;
    record_trafficker_event(model, state, ctx, EventKind::Conviction, t);
    convictions[r] += 1;
    tr.state[t] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
    tr.sentence_remaining[t] = static_cast<std::int32_t>(
        std::max<std::int64_t>(1, std::llround(lv[Param::policy_prosecution_sentence_years] / dt)));
    tr.evidence[t] = 0.0f;
    state.newly_incarcerated.push_back(id);
    any_convicted = true;
  }

  // Perceived risk: exponentially weighted memory of convictions per active
  // trafficker per year.
  for (std::size_t r = 0; r < regions; ++r) {
    const double rate = active[r] > 0 ? convictions[r] / active[r] / dt : 0.0;
    state.regions[r].perceived_risk += memory * (rate - state.regions[r].perceived_risk);
  }

  // 4. The remaining victims of the convicted are freed and identified.
  if (any_convicted) {
    for (const std::uint32_t i : state.involved) {
      const std::int32_t c = p.controller[i];
      if (c == kNoTrafficker ||
          tr.state[static_cast<std::size_t>(c)] != static_cast<std::uint8_t>(TraffickerState::Incarcerated))
        continue;
      Stream stream = person_stream(model, state, Phase::Prosecution, i);
      handle_identified(model, state, ctx, i, Channel::Investigation, stream, 4);
    }
  }
}

}  // namespace tipsim

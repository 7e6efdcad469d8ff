// Phase 8: prosecution. Each region investigates up to its capacity of
// active traffickers, chosen at random in proportion to the evidence
// against them plus a base visibility (weighted sampling without
// replacement). Investigations become prosecutions and convictions with
// probabilities that grow with evidence (shared intelligence multiplies it)
// and shrink with corruption. The convicted go to prison and their victims
// are freed and identified; convictions feed the region's perceived risk.
#include <algorithm>
#include <cmath>

#include "model_math.hpp"
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

void run_prosecution(World& w) {
  const Scenario& s = *w.scenario;
  const ParamValues& g = s.globals;
  const double dt = w.step_years;
  auto& tr = w.traffickers;
  auto& sc = w.scratch;

  const float evidence_keep = static_cast<float>(std::exp(-g[Param::prosecution_evidence_decay] * dt));
  for (float& e : tr.evidence) e *= evidence_keep;

  const double base_visibility = g[Param::prosecution_base_visibility];
  const double labour_visibility = g[Param::prosecution_labour_visibility];
  const double evidence_half = g[Param::prosecution_evidence_half];
  const double prosecute_base = g[Param::prosecution_prosecute_base];
  const double convict_base = g[Param::prosecution_conviction_base];
  const double investigations_per_investigator = g[Param::prosecution_investigations_per_investigator];
  const double memory = 1.0 - std::exp(-dt / g[Param::prosecution_risk_memory_years]);
  bool any_convicted = false;

  for (std::uint32_t r = 0; r < w.regions.size(); ++r) {
    RegionState& rs = w.regions[r];
    const ParamValues& lv = rs.levers;
    Stream region = region_stream(w, Phase::Prosecution, r);
    const double expected =
        lv[Param::policy_investigators] * rs.population / 1e5 * investigations_per_investigator * dt;
    const double whole = std::floor(expected);
    const auto capacity = static_cast<std::size_t>(whole) + (region.uniform(0) < expected - whole ? 1 : 0);

    // Efraimidis-Spirakis keys: the `capacity` largest log(u)/weight are a
    // weighted sample without replacement; ties broken by id.
    sc.keys.clear();
    std::uint32_t active = 0;
    for (std::size_t t = 0; t < tr.size(); ++t) {
      if (tr.base_region[t] != r || tr.state[t] != static_cast<std::uint8_t>(TraffickerState::Active))
        continue;
      ++active;
      if (capacity == 0) continue;
      double weight = tr.evidence[t] + base_visibility;
      if (static_cast<Market>(tr.market[t]) != Market::Sexual) weight *= labour_visibility;
      if (!(weight > 0)) continue;
      Stream stream = trafficker_stream(w, Phase::Prosecution, static_cast<std::uint32_t>(t));
      sc.keys.emplace_back(std::log(stream.uniform(0)) / weight, static_cast<std::int32_t>(t));
    }
    const std::size_t chosen = std::min(capacity, sc.keys.size());
    std::partial_sort(sc.keys.begin(), sc.keys.begin() + static_cast<std::ptrdiff_t>(chosen), sc.keys.end(),
                      [](const auto& a, const auto& b) {
                        return a.first > b.first || (a.first == b.first && a.second < b.second);
                      });
    std::sort(sc.keys.begin(), sc.keys.begin() + static_cast<std::ptrdiff_t>(chosen),
              [](const auto& a, const auto& b) { return a.second < b.second; });

    const double corruption = lv[Param::institutions_corruption];
    const double boost = 1.0 + g[Param::prosecution_partnership_boost] * lv[Param::policy_partnership];
    const std::int64_t sentence_steps =
        std::max<std::int64_t>(1, std::llround(lv[Param::policy_sentence_years] / dt));
    double convictions = 0;
    for (std::size_t x = 0; x < chosen; ++x) {
      const auto t = static_cast<std::size_t>(sc.keys[x].second);
      const std::size_t case_type = case_type_of(static_cast<Market>(tr.market[t]));
      w.metric(Metric::investigations, r, case_type) += 1;
      const double evidence = tr.evidence[t] * boost;
      const double strength = evidence / (evidence + evidence_half);
      Stream stream = trafficker_stream(w, Phase::Prosecution, static_cast<std::uint32_t>(t));
      if (!stream.bernoulli(1, (prosecute_base + (1.0 - prosecute_base) * strength) * (1.0 - corruption)))
        continue;
      w.metric(Metric::prosecutions, r, case_type) += 1;
      // Court costs come on top of the levers' cost, except in budget mode,
      // where the budget is all there is.
      if (g[Param::budget_total] <= 0)
        w.metric(Metric::spending, r, static_cast<std::size_t>(Pillar::Prosecution)) +=
            g[Param::cost_prosecution_case];
      if (!stream.bernoulli(2, (convict_base + (1.0 - convict_base) * strength) * (1.0 - corruption)))
        continue;
      w.metric(Metric::convictions, r, case_type) += 1;
      convictions += 1;
      tr.state[t] = static_cast<std::uint8_t>(TraffickerState::Incarcerated);
      tr.sentence_remaining[t] = static_cast<std::int32_t>(sentence_steps);
      tr.evidence[t] = 0.0f;
      w.newly_incarcerated.push_back(static_cast<std::int32_t>(t));
      any_convicted = true;
    }
    // Perceived risk: exponentially weighted memory of convictions per
    // active trafficker per year.
    const double rate = active > 0 ? convictions / active / dt : 0.0;
    rs.perceived_risk += memory * (rate - rs.perceived_risk);
  }

  // Victims of the convicted are freed and identified.
  if (any_convicted) {
    auto& p = w.persons;
    for (const std::uint32_t i : w.involved) {
      const std::int32_t c = p.controller[i];
      if (c == kNoTrafficker ||
          tr.state[static_cast<std::size_t>(c)] != static_cast<std::uint8_t>(TraffickerState::Incarcerated))
        continue;
      Stream stream = person_stream(w, Phase::Prosecution, i);
      handle_identified(w, i, Channel::Investigation, stream, 0);
    }
  }
}

}  // namespace tipsim

// Phase 11: metrics. Flows were counted by the phases as they happened;
// stocks are counted here, from the region aggregates and one pass over the
// involved persons and the traffickers, in a fixed order.
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

void collect_metrics(const Model& model, State& state, StepContext& ctx) {
  // Also refreshes RegionState::traffickers_active, which prosecution changes.
  const auto& p = state.persons;
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    const RegionState& rs = state.regions[r];
    ctx.metric(Metric::persons_by_state, r, static_cast<std::size_t>(PersonState::Free)) = rs.free_persons;
    ctx.metric(Metric::shelter_capacity, r) = rs.shelter_capacity;
    for (std::size_t m = 0; m < kMarkets; ++m)
      ctx.metric(Metric::perceived_risk, r, m) = rs.perceived_risk[m];
    ctx.metric(Metric::awareness_mean, r) = rs.awareness_mean;
    ctx.metric(Metric::non_victims_in_protection, r) = rs.non_victims_sheltered;
    ctx.metric(Metric::survivors_recovering, r) = rs.survivors_recovering;
    for (std::size_t g = 0; g < kAdjacentGroups; ++g)
      ctx.metric(Metric::adjacent_persons, r, g) =
          adjacent_persons(model, state, r, static_cast<Adjacent>(g));
  }
  for (const std::uint32_t i : state.involved) {
    const auto person_state = static_cast<PersonState>(p.state[i]);
    if (person_state == PersonState::Free) continue;
    const std::size_t region = p.current_region[i];
    ctx.metric(Metric::persons_by_state, region, static_cast<std::size_t>(person_state)) += 1;
    if (person_state != PersonState::Exploited) continue;
    const auto form = static_cast<std::size_t>(person_form(state, i));
    ctx.metric(Metric::exploited_by_form, region, form) += 1;
    ctx.metric(Metric::exploited_by_market, region, p.market[i]) += 1;
    if (p.flags[i] & person_flag::kDebtBonded) ctx.metric(Metric::exploited_debt_bonded, region, form) += 1;
    if (p.current_region[i] != p.home_region[i]) ctx.metric(Metric::exploited_abroad, region) += 1;
  }
  const auto& tr = state.traffickers;
  for (RegionState& rs : state.regions) rs.traffickers_active = 0;
  for (std::size_t t = 0; t < tr.size(); ++t) {
    const auto trafficker_state = static_cast<TraffickerState>(tr.state[t]);
    if (trafficker_state == TraffickerState::Active) {
      ctx.metric(Metric::traffickers_active, tr.base_region[t]) += 1;
      ++state.regions[tr.base_region[t]].traffickers_active;
    }
    if (trafficker_state == TraffickerState::Incarcerated)
      ctx.metric(Metric::traffickers_incarcerated, tr.base_region[t]) += 1;
  }
}

}  // namespace tipsim

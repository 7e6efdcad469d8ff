// Phase 11: metrics. Flows were counted by the phases as they happened;
// stocks are counted here, from the region aggregates and one pass over the
// involved persons and the traffickers, in a fixed order.
#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

void collect_metrics(World& w) {
  // Also refreshes RegionState::traffickers_active, which prosecution changes.
  const auto& p = w.persons;
  for (std::size_t r = 0; r < w.regions.size(); ++r) {
    const RegionState& rs = w.regions[r];
    w.metric(Metric::persons_by_state, r, static_cast<std::size_t>(PersonState::Free)) = rs.free_persons;
    w.metric(Metric::shelter_capacity, r) = rs.shelter_capacity;
    w.metric(Metric::perceived_risk, r) = rs.perceived_risk;
    w.metric(Metric::awareness_mean, r) = rs.awareness_mean;
  }
  for (const std::uint32_t i : w.involved) {
    const auto state = static_cast<PersonState>(p.state[i]);
    if (state == PersonState::Free) continue;
    const std::size_t region = p.current_region[i];
    w.metric(Metric::persons_by_state, region, static_cast<std::size_t>(state)) += 1;
    if (state != PersonState::Exploited) continue;
    const auto form = static_cast<std::size_t>(person_form(w, i));
    w.metric(Metric::exploited_by_form, region, form) += 1;
    w.metric(Metric::exploited_by_market, region, p.market[i]) += 1;
    if (p.flags[i] & person_flag::kDebtBonded) w.metric(Metric::exploited_debt_bonded, region, form) += 1;
    if (p.current_region[i] != p.home_region[i]) w.metric(Metric::exploited_abroad, region) += 1;
  }
  const auto& tr = w.traffickers;
  for (RegionState& rs : w.regions) rs.traffickers_active = 0;
  for (std::size_t t = 0; t < tr.size(); ++t) {
    const auto state = static_cast<TraffickerState>(tr.state[t]);
    if (state == TraffickerState::Active) {
      w.metric(Metric::traffickers_active, tr.base_region[t]) += 1;
      ++w.regions[tr.base_region[t]].traffickers_active;
    }
    if (state == TraffickerState::Incarcerated)
      w.metric(Metric::traffickers_incarcerated, tr.base_region[t]) += 1;
  }
}

}  // namespace tipsim

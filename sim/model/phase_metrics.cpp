// Phase 11: metrics. Flows were counted by the phases as they happened;
// stocks are counted here, from the region aggregates and one pass over the
// involved persons and the traffickers.
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <vector>

#include "person_ops.hpp"
#include "phases.hpp"

namespace tipsim {

namespace {

// The stocks of the involved persons, by region. Counted in parallel, each
// thread into its own tally: whole numbers, so the sum of the tallies is
// the same in any order and at any thread count.
struct InvolvedTally {
  explicit InvolvedTally(std::size_t regions)
      : by_state(regions * kPersonStates),
        exploited_by_form(regions * kForms),
        exploited_by_market(regions * kMarkets),
        debt_bonded_by_form(regions * kForms),
        abroad(regions) {}
  std::vector<std::uint32_t> by_state, exploited_by_form, exploited_by_market, debt_bonded_by_form, abroad;

  void count(const State& state, std::uint32_t i) {
    const auto& p = state.persons;
    const auto person_state = static_cast<std::size_t>(p.state[i]);
    if (person_state == static_cast<std::size_t>(PersonState::Free)) return;
    const std::size_t region = p.current_region[i];
    ++by_state[region * kPersonStates + person_state];
    if (person_state != static_cast<std::size_t>(PersonState::Exploited)) return;
    const auto form = static_cast<std::size_t>(person_form(state, i));
    ++exploited_by_form[region * kForms + form];
    ++exploited_by_market[region * kMarkets + p.market[i]];
    if (p.flags[i] & person_flag::kDebtBonded) ++debt_bonded_by_form[region * kForms + form];
    if (p.current_region[i] != p.home_region[i]) ++abroad[region];
  }
  void add(const InvolvedTally& other) {
    for (auto [to, from] :
         {std::pair{&by_state, &other.by_state}, std::pair{&exploited_by_form, &other.exploited_by_form},
          std::pair{&exploited_by_market, &other.exploited_by_market},
          std::pair{&debt_bonded_by_form, &other.debt_bonded_by_form}, std::pair{&abroad, &other.abroad}})
      for (std::size_t j = 0; j < to->size(); ++j) (*to)[j] += (*from)[j];
  }
};

InvolvedTally count_involved(const State& state) {
  const std::size_t regions = state.regions.size();
  tbb::enumerable_thread_specific<InvolvedTally> tallies([regions] { return InvolvedTally(regions); });
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, state.involved.size(), 4096), [&](const auto& range) {
    InvolvedTally& tally = tallies.local();
    for (std::size_t k = range.begin(); k != range.end(); ++k) tally.count(state, state.involved[k]);
  });
  InvolvedTally total(regions);
  for (const InvolvedTally& tally : tallies) total.add(tally);
  return total;
}

}  // namespace

void collect_metrics(const Model& model, State& state, StepContext& ctx) {
  // Also refreshes RegionState::traffickers_active, which prosecution changes.
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
  const InvolvedTally involved = count_involved(state);
  for (std::size_t r = 0; r < state.regions.size(); ++r) {
    for (std::size_t c = 0; c < kPersonStates; ++c)
      if (c != static_cast<std::size_t>(PersonState::Free))
        ctx.metric(Metric::persons_by_state, r, c) += involved.by_state[r * kPersonStates + c];
    for (std::size_t f = 0; f < kForms; ++f) {
      ctx.metric(Metric::exploited_by_form, r, f) += involved.exploited_by_form[r * kForms + f];
      ctx.metric(Metric::exploited_debt_bonded, r, f) += involved.debt_bonded_by_form[r * kForms + f];
    }
    for (std::size_t m = 0; m < kMarkets; ++m)
      ctx.metric(Metric::exploited_by_market, r, m) += involved.exploited_by_market[r * kMarkets + m];
    ctx.metric(Metric::exploited_abroad, r) += involved.abroad[r];
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
